package dev.lockstep.quality;

import dev.lockstep.core.definition.AcceptedValuesRule;
import dev.lockstep.core.definition.ExpressionRule;
import dev.lockstep.core.definition.NotNullRule;
import dev.lockstep.core.definition.QualityRule;
import dev.lockstep.core.definition.RangeRule;
import dev.lockstep.core.definition.RegexRule;
import dev.lockstep.core.definition.SqlIdentifiers;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A per-row quality rule compiled to SQL: a condition over one conformed row that is true exactly when the row
 * fails the rule — never NULL. Columns are written unqualified, so the condition is evaluated where the conformed
 * row is the only relation in scope (as {@code lockstep validate --connect} type-checked it).
 */
public sealed interface RowCheck permits NotNullCheck, AcceptedValuesCheck, RangeCheck, RegexCheck, ExpressionCheck {

    /** Returns the rule this check compiles. */
    QualityRule rule();

    /** Returns the SQL condition, true when the row fails. */
    String failing();

    /** Returns the reason recorded with a failing row, e.g. {@code email is null}. */
    String reason();

    /** Returns the check of a per-row rule that looks at one row alone; empty for unique, references and aggregates. */
    static Optional<RowCheck> of(QualityRule rule) {
        if (rule instanceof NotNullRule r) {
            return Optional.of(new NotNullCheck(r));
        } else if (rule instanceof AcceptedValuesRule r) {
            return Optional.of(new AcceptedValuesCheck(r));
        } else if (rule instanceof RangeRule r) {
            return Optional.of(new RangeCheck(r));
        } else if (rule instanceof RegexRule r) {
            return Optional.of(new RegexCheck(r));
        } else if (rule instanceof ExpressionRule r) {
            return Optional.of(new ExpressionCheck(r));
        }
        return Optional.empty();
    }

    /** Quotes a column name. */
    static String column(String name) {
        return SqlIdentifiers.quote(name);
    }

    /** Returns a SQL string literal. */
    static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    /** Returns {@code (a OR b ...)} of the per-column conditions. */
    static String any(List<String> columns, java.util.function.Function<String, String> condition) {
        return columns.stream().map(condition).collect(Collectors.joining(" OR ", "(", ")"));
    }
}
