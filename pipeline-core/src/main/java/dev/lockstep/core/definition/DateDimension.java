package dev.lockstep.core.definition;

import static java.util.Objects.requireNonNull;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The generated date dimension: one row per day from {@code from} to {@code to}, keyed by {@code <name>_key}
 * ({@code yyyymmdd}); the range is extended when data falls outside it.
 */
public record DateDimension(String name, boolean generated, LocalDate from, LocalDate to) implements Dimension {

    /** The first day generated unless the definition says otherwise. */
    public static final LocalDate DEFAULT_FROM = LocalDate.of(2000, 1, 1);

    /** The last day generated unless the definition says otherwise. */
    public static final LocalDate DEFAULT_TO = LocalDate.of(2039, 12, 31);

    /** The columns every date dimension has besides its surrogate key, with their PostgreSQL types. */
    public static final Map<String, String> ATTRIBUTES = attributes();

    public DateDimension {
        requireNonNull(name, "name");
        requireNonNull(from, "from");
        requireNonNull(to, "to");
        if (!generated) {
            throw new IllegalArgumentException("a date dimension is generated");
        }
        if (from.isAfter(to)) {
            throw new IllegalArgumentException("date range " + from + " is after " + to);
        }
    }

    /** Returns all columns with their PostgreSQL types: the surrogate key ({@code yyyymmdd}), then {@link #ATTRIBUTES}. */
    public Map<String, String> columns() {
        Map<String, String> columns = new LinkedHashMap<>();
        columns.put(surrogateKey(), "integer");
        columns.putAll(ATTRIBUTES);
        return java.util.Collections.unmodifiableMap(columns);
    }

    @Override
    public int keyArity() {
        return 1;
    }

    private static Map<String, String> attributes() {
        Map<String, String> columns = new LinkedHashMap<>();
        columns.put("date", "date");
        columns.put("year", "integer");
        columns.put("quarter", "integer");
        columns.put("month", "integer");
        columns.put("month_name", "text");
        columns.put("day", "integer");
        columns.put("day_of_week", "integer");
        columns.put("day_name", "text");
        columns.put("iso_week", "integer");
        columns.put("is_weekend", "boolean");
        return java.util.Collections.unmodifiableMap(columns);
    }
}
