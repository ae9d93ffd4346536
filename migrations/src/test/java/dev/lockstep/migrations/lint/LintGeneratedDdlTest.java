package dev.lockstep.migrations.lint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.migrations.lint.Script.Phase;
import dev.lockstep.warehouse.star.StarSchema;
import dev.lockstep.warehouse.star.StarSchemaDdl;
import dev.lockstep.warehouse.testing.UnitStar;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The DDL Lockstep generates for a first deployment is understood by the linter, and it finds nothing in it. */
class LintGeneratedDdlTest {

    @Test
    void shouldFindNothingInAFirstDeploymentsGeneratedScripts() {
        StarSchema star = UnitStar.star();
        List<Script> scripts = StarSchemaDdl.migrations(star).stream() // V1 raw layer, V2 star schema
                .map(m -> Script.generated(m.fileName(), m.up(), Phase.EXPAND)).toList();

        LintReport report = MigrationLint.lint(scripts, LintContext.empty().withDefaultSchema("dw"));

        assertThat(LintRulesTest.findings(report)).extracting(Finding::format).isEmpty();
        assertThat(scripts).allSatisfy(s -> assertThat(SqlScanner.split(s.sql())).isNotEmpty());
    }
}
