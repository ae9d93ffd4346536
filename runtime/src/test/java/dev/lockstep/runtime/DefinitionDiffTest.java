package dev.lockstep.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DefinitionDiffTest {

    @Test
    void shouldShowChangedLinesWithTheirContext() {
        String deployed = "pipeline: shop\ndimensions:\n  customer:\n    scd: 2\n    columns:\n      city: city\n";
        String current = "pipeline: shop\ndimensions:\n  customer:\n    scd: 2\n    columns:\n      city: city\n"
                + "      vip: segment = 'platinum'\n";

        String diff = DefinitionDiff.of(deployed, current, "shop.yaml");

        assertThat(diff.lines()).containsExactly("--- deployed", "+++ shop.yaml", "@@ -5,2 +5,3 @@",
                "     columns:", "       city: city", "+      vip: segment = 'platinum'");
    }

    @Test
    void shouldBeEmptyForTheSameText() {
        assertThat(DefinitionDiff.of("pipeline: shop\n", "pipeline: shop\n", "shop.yaml")).isEmpty();
    }
}
