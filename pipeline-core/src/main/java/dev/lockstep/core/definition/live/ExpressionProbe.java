package dev.lockstep.core.definition.live;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * An expression to type-check: evaluated over the declared relation {@code from} (as {@code alias}), left-joined
 * to lookups, exactly as the transform will run it. The checker must not evaluate it on data.
 */
public record ExpressionProbe(String expression, String from, String alias, List<Join> joins) {

    /** {@code LEFT JOIN relation AS alias ON alias.key = fromAlias.fromColumn}. */
    public record Join(String alias, String relation, String key, String fromAlias, String fromColumn) {
        public Join {
            requireNonNull(alias, "alias");
            requireNonNull(relation, "relation");
            requireNonNull(key, "key");
            requireNonNull(fromAlias, "fromAlias");
            requireNonNull(fromColumn, "fromColumn");
        }
    }

    public ExpressionProbe {
        requireNonNull(expression, "expression");
        requireNonNull(from, "from");
        requireNonNull(alias, "alias");
        joins = List.copyOf(joins);
    }
}
