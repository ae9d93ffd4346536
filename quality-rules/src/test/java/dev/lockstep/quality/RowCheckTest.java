package dev.lockstep.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.definition.AcceptedValuesRule;
import dev.lockstep.core.definition.ExpressionRule;
import dev.lockstep.core.definition.NotNullRule;
import dev.lockstep.core.definition.OnFail;
import dev.lockstep.core.definition.RangeRule;
import dev.lockstep.core.definition.RegexRule;
import dev.lockstep.core.definition.Severity;
import dev.lockstep.core.definition.SqlExpression;
import dev.lockstep.core.definition.UniqueRule;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The SQL each per-row rule kind compiles to: true exactly when a row fails, never NULL. */
class RowCheckTest {

    static final Duration RESOLVE = Duration.ofMinutes(5);

    @Test
    void shouldFailRowsWithNullInAnyColumn() {
        RowCheck check = RowCheck.of(new NotNullRule("nn", "customer", List.of("email", "City"), OnFail.QUARANTINE,
                Severity.WARNING, RESOLVE)).orElseThrow();

        assertThat(check.failing()).isEqualTo("(\"email\" IS NULL OR \"City\" IS NULL)");
        assertThat(check.reason()).isEqualTo("email or City is null");
    }

    @Test
    void shouldLetNullPassAcceptedValuesAndQuoteValues() {
        RowCheck check = RowCheck.of(new AcceptedValuesRule("av", "customer", List.of("segment"),
                List.of("gold", "o'neil"), OnFail.QUARANTINE, Severity.WARNING, RESOLVE)).orElseThrow();

        assertThat(check.failing()).isEqualTo("(coalesce(\"segment\" NOT IN ('gold', 'o''neil'), false))");
    }

    @Test
    void shouldCheckOnlyTheBoundsGiven() {
        RowCheck both = RowCheck.of(new RangeRule("r", "order_line", List.of("quantity"), Optional.of("1"),
                Optional.of("1000"), OnFail.QUARANTINE, Severity.WARNING, RESOLVE)).orElseThrow();
        RowCheck min = RowCheck.of(new RangeRule("r", "order_line", List.of("quantity", "amount"), Optional.of("0"),
                Optional.empty(), OnFail.WARN, Severity.WARNING, RESOLVE)).orElseThrow();

        assertThat(both.failing()).isEqualTo("(coalesce(\"quantity\" < '1' OR \"quantity\" > '1000', false))");
        assertThat(min.failing()).isEqualTo("(coalesce(\"quantity\" < '0', false) OR coalesce(\"amount\" < '0', false))");
        assertThat(min.reason()).isEqualTo("quantity, amount outside [0, ∞]");
    }

    @Test
    void shouldMatchRegexOnTheColumnsText() {
        RowCheck check = RowCheck.of(new RegexRule("re", "customer", List.of("email"), "^[^@]+@[^@]+$",
                OnFail.WARN, Severity.INFO, RESOLVE)).orElseThrow();

        assertThat(check.failing()).isEqualTo("(coalesce(\"email\"::text !~ '^[^@]+@[^@]+$', false))");
    }

    @Test
    void shouldFailExpressionOnlyWhenFalse() {
        RowCheck check = RowCheck.of(new ExpressionRule("amount_ok", "order_line",
                new SqlExpression("amount >= 0 and discount_pct between 0 and 100"), OnFail.QUARANTINE,
                Severity.CRITICAL, RESOLVE)).orElseThrow();

        assertThat(check.failing()).isEqualTo("coalesce(NOT (amount >= 0 and discount_pct between 0 and 100), false)");
    }

    @Test
    void shouldLeaveRulesAcrossRowsToTheirOwnChecks() {
        assertThat(RowCheck.of(new UniqueRule("u", "customer", List.of("email"), OnFail.DEDUPLICATE, Severity.INFO,
                RESOLVE))).isEmpty();
    }
}
