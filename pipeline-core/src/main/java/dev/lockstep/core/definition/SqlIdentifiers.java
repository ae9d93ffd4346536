package dev.lockstep.core.definition;

import dev.lockstep.core.stream.TableId;
import java.util.regex.Pattern;

/** How a definition writes SQL names, and how SQL quotes them. */
public final class SqlIdentifiers {

    private static final Pattern PLAIN = Pattern.compile("[a-z_][a-z0-9_$]*");

    private SqlIdentifiers() {}

    /** Quotes an identifier for SQL, always: {@code "customers"}. */
    public static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** Returns a table's name quoted for SQL: {@code "public"."customers"}. */
    public static String quote(TableId table) {
        return quote(table.schema()) + "." + quote(table.table());
    }

    /** Returns an identifier as a definition writes it: plain when it can be, quoted otherwise. */
    public static String display(String identifier) {
        return PLAIN.matcher(identifier).matches() ? identifier : quote(identifier);
    }

    /** Returns a table's name as a definition writes it: {@code public.customers}, {@code crm."Legacy"}. */
    public static String display(TableId table) {
        return display(table.schema()) + "." + display(table.table());
    }
}
