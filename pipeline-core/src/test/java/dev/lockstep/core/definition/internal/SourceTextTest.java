package dev.lockstep.core.definition.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.definition.Location;
import org.junit.jupiter.api.Test;

/** Positions inside scalars, however YAML wrote them, so an expression's error points at the right character. */
class SourceTextTest {

    @Test
    void shouldFindACharacterOfAPlainScalar() {
        SourceText text = new SourceText("f.yaml", "a: quantity * unit_price\n");

        assertThat(text.locationInScalar(3, "quantity * unit_price", 11)).isEqualTo(new Location("f.yaml", 1, 15));
    }

    @Test
    void shouldSkipQuotesAndEscapes() {
        SourceText text = new SourceText("f.yaml", "a: \"say \\\"hi\\\" to x\"\nb: 'it''s y'\n");

        assertThat(text.locationInScalar(3, "say \"hi\" to x", 12)).isEqualTo(new Location("f.yaml", 1, 19));
        assertThat(text.locationInScalar(24, "it's y", 5)).isEqualTo(new Location("f.yaml", 2, 11));
    }

    @Test
    void shouldFollowBlockScalarsAcrossLines() {
        String yaml = "a: |\n  total\n    * (1 + tax)\n";
        SourceText text = new SourceText("f.yaml", yaml);

        assertThat(text.locationInScalar(3, "total\n  * (1 + tax)\n", 10)).isEqualTo(new Location("f.yaml", 3, 7));
    }

    @Test
    void shouldFollowFoldedPlainScalars() {
        String yaml = "a: total\n  - discount\n";
        SourceText text = new SourceText("f.yaml", yaml);

        assertThat(text.locationInScalar(3, "total - discount", 8)).isEqualTo(new Location("f.yaml", 2, 5));
    }

    @Test
    void shouldFallBackToTheScalarStartWhenTheValueCannotBeFollowed() {
        SourceText text = new SourceText("f.yaml", "a: ${X}\n");

        assertThat(text.locationInScalar(3, "something else", 4)).isEqualTo(new Location("f.yaml", 1, 4));
    }

    @Test
    void shouldCountLinesLikeYaml() {
        SourceText text = new SourceText("f.yaml", "a\r\nb\rc\nd");

        assertThat(text.locationOf(7)).isEqualTo(new Location("f.yaml", 4, 1));
        assertThat(text.offsetOf(3, 1)).isEqualTo(5);
    }
}
