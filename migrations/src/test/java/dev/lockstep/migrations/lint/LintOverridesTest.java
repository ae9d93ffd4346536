package dev.lockstep.migrations.lint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.core.LockstepException;
import dev.lockstep.migrations.lint.Script.Phase;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --allow RULE --reason "…"}: allowed findings stop blocking and keep their reason. */
class LintOverridesTest {

    private static final List<Script> SCRIPTS = List.of(LintRulesTest.handWritten(Phase.EXPAND, """
            SET lock_timeout = '5s';
            ALTER TABLE dw.orders RENAME COLUMN amount TO total;
            DO $$ BEGIN PERFORM 1; END $$;
            """));

    @Test
    void shouldBlockWithoutOverrides() {
        LintReport report = MigrationLint.lint(SCRIPTS, LintRulesTest.CONTEXT);

        assertThat(report.blocksDeploy()).isTrue();
        assertThat(report.blocking()).extracting(Finding::rule).containsExactly(LintRule.RENAMING_COLUMN);
        assertThat(report.warnings()).extracting(Finding::rule).containsExactly(LintRule.UNPARSED_STATEMENT);
        assertThat(report.allowed()).isEmpty();
    }

    @Test
    void shouldTurnAnAllowedRulesFindingsIntoAllowedOnesWithTheReason() {
        Overrides overrides = Overrides.none()
                .allow("renaming-column", "  no reader queries amount yet  ")
                .allow("unparsed-statement", "reviewed by hand");

        LintReport report = MigrationLint.lint(SCRIPTS, LintRulesTest.CONTEXT, overrides);

        assertThat(report.blocksDeploy()).isFalse();
        assertThat(report.blocking()).isEmpty();
        assertThat(report.warnings()).isEmpty();
        assertThat(report.allowed()).extracting(a -> a.finding().rule(), LintReport.Allowed::reason).containsExactly(
                org.assertj.core.groups.Tuple.tuple(LintRule.RENAMING_COLUMN, "no reader queries amount yet"),
                org.assertj.core.groups.Tuple.tuple(LintRule.UNPARSED_STATEMENT, "reviewed by hand"));
    }

    @Test
    void shouldNotChangeTheOverridesItWasCalledOn() {
        Overrides none = Overrides.none();

        Overrides one = none.allow("renaming-table", "the view keeps the old name");

        assertThat(none.reasons()).isEmpty();
        assertThat(one.reasons()).containsOnlyKeys(LintRule.RENAMING_TABLE);
    }

    @Test
    void shouldRejectAnUnknownRuleIdNamingTheKnownOnes() {
        assertThatThrownBy(() -> Overrides.none().allow("renaming-colum", "typo"))
                .isInstanceOf(LockstepException.class)
                .hasMessageContaining("--allow renaming-colum: no such lint rule")
                .hasMessageContaining("renaming-column")
                .hasMessageContaining("hand-written-writes-applier-table");
    }

    @Test
    void shouldRequireAReason() {
        assertThatThrownBy(() -> Overrides.none().allow("renaming-column", " "))
                .isInstanceOf(LockstepException.class)
                .hasMessageContaining("--allow renaming-column: a --reason is required");
        assertThatThrownBy(() -> Overrides.none().allow("renaming-column", null))
                .hasMessageContaining("--reason");
    }
}
