package dev.lockstep.core.definition.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** PostgreSQL's rules for names: identifier syntax, the 63-byte limit, reserved words. */
public final class Names {

    /** PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1). */
    public static final int MAX_BYTES = 63;

    /** A name Lockstep can use in SQL without quoting. */
    public static final Pattern PLAIN = Pattern.compile("[a-z_][a-z0-9_]*");

    /**
     * PostgreSQL's reserved key words (and those reserved but allowed as function or type names): they cannot be
     * column or table names unless quoted. From the PostgreSQL 17 documentation, Appendix C.
     */
    public static final Set<String> RESERVED = Set.of(
            "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast",
            "check", "collate", "column", "constraint", "create", "current_catalog", "current_date", "current_role",
            "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do",
            "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in",
            "initially", "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
            "null", "offset", "on", "only", "or", "order", "placing", "primary", "references", "returning",
            "select", "session_user", "some", "symmetric", "system_user", "table", "then", "to", "trailing", "true",
            "union", "unique", "user", "using", "variadic", "when", "where", "window", "with",
            "authorization", "binary", "collation", "concurrently", "cross", "current_schema", "freeze", "full",
            "ilike", "inner", "is", "isnull", "join", "left", "like", "natural", "notnull", "outer", "overlaps",
            "right", "similar", "tablesample", "verbose");

    /** Reserved words that are values in an expression ({@code current_date}, {@code true}), not column names. */
    public static final Set<String> VALUE_KEYWORDS = Set.of(
            "true", "false", "null", "current_date", "current_time", "current_timestamp", "localtime",
            "localtimestamp", "current_user", "session_user", "user", "current_role", "current_catalog",
            "current_schema", "system_user");

    private Names() {}

    /** Returns true if the word is reserved in PostgreSQL. */
    public static boolean isReserved(String word) {
        return RESERVED.contains(word.toLowerCase(Locale.ROOT));
    }

    /** Returns the length of a name in bytes, as PostgreSQL counts it. */
    public static int bytes(String name) {
        return name.getBytes(StandardCharsets.UTF_8).length;
    }

    /** Returns a plain name close to the given one: {@code Customer Name} becomes {@code customer_name}. */
    public static String plainFrom(String name) {
        String snake = name.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9_]+", "_").replaceAll("_+", "_").replaceAll("^_|_$", "");
        if (snake.isEmpty()) {
            return "name";
        }
        return Character.isDigit(snake.charAt(0)) ? "_" + snake : snake;
    }

    /**
     * How a kind of name is checked: what it is called in messages, whether reserved words are refused (because
     * the name becomes a column or schema on its own), and the names derived from it that must fit in 63 bytes.
     */
    public record Rule(String what, boolean refuseReserved, List<String> derived) {

        /** Returns the derived names for a value, e.g. {@code dim_customer} for {@code dim_%s}. */
        public List<String> derivedFrom(String name) {
            return derived.stream().map(f -> String.format(Locale.ROOT, f, name)).toList();
        }
    }
}
