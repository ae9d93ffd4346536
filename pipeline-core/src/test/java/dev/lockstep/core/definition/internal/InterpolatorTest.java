package dev.lockstep.core.definition.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class InterpolatorTest {

    private final Interpolator interpolator = new Interpolator(Map.of("HOST", "db.internal", "EMPTY", "")::get);

    @Test
    void shouldReplaceVariablesAndKeepTheRest() {
        Interpolator.Result result = interpolator.interpolate("jdbc:postgresql://${HOST}:5432/shop");

        assertThat(result.value()).isEqualTo("jdbc:postgresql://db.internal:5432/shop");
        assertThat(result.interpolated()).isTrue();
        assertThat(result.variables()).containsExactly("HOST");
        assertThat(result.issues()).isEmpty();
    }

    @Test
    void shouldUseTheDefaultWhenTheVariableIsUnsetOrEmpty() {
        assertThat(interpolator.interpolate("${PORT:-6432}").value()).isEqualTo("6432");
        assertThat(interpolator.interpolate("${EMPTY:-fallback}").value()).isEqualTo("fallback");
        assertThat(interpolator.interpolate("${HOST:-fallback}").value()).isEqualTo("db.internal");
        assertThat(interpolator.interpolate("${PORT:-}").value()).isEmpty();
    }

    @Test
    void shouldNameAMissingVariableAtItsPosition() {
        Interpolator.Result result = interpolator.interpolate("x ${SHOP_DB_PASSWORD}");

        assertThat(result.issues()).singleElement().satisfies(issue -> {
            assertThat(issue.index()).isEqualTo(2);
            assertThat(issue.missingVariable()).isTrue();
            assertThat(issue.message()).contains("SHOP_DB_PASSWORD is not set");
        });
    }

    @Test
    void shouldTreatDoubleDollarAsALiteral() {
        Interpolator.Result result = interpolator.interpolate("'$${HOST}' || $x");

        assertThat(result.value()).isEqualTo("'${HOST}' || $x");
        assertThat(result.variables()).isEmpty();
    }

    @Test
    void shouldReportUnclosedAndMalformedReferences() {
        assertThat(interpolator.interpolate("${HOST").issues()).singleElement()
                .satisfies(i -> assertThat(i.message()).contains("is not closed"));
        assertThat(interpolator.interpolate("${1A}").issues()).singleElement()
                .satisfies(i -> assertThat(i.message()).contains("is not a variable reference"));
    }

    @Test
    void shouldLeaveTextWithoutDollarUntouched() {
        Interpolator.Result result = interpolator.interpolate("coalesce(city, 'Unknown')");

        assertThat(result.interpolated()).isFalse();
        assertThat(result.value()).isEqualTo("coalesce(city, 'Unknown')");
    }
}
