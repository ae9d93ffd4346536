package dev.lockstep.core.definition.internal;

import static dev.lockstep.core.definition.internal.ScalarType.string;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lockstep.core.definition.Percent;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.SqlExpression;
import dev.lockstep.core.definition.internal.YamlNode.Scalar;
import dev.lockstep.core.definition.internal.YamlNode.ScalarKind;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The scalar types of the definition format that hold values: text, numbers, booleans, durations, percentages,
 * dates, time zones, expressions and literals. Names are {@link NameTypes}; URLs and secrets {@link ConnectionTypes}.
 */
public final class ScalarTypes {

    private static final Pattern DURATION_PART = Pattern.compile("([0-9]{1,12})(ms|s|m|h|d)");
    private static final String DURATION_PATTERN = "^([0-9]+(ms|s|m|h|d))+$";
    private static final Pattern PERCENT = Pattern.compile("([+-]?[0-9]{1,3}(\\.[0-9]{1,6})?)\\s*%?");
    private static final Set<String> ZONES = new TreeSet<>(ZoneId.getAvailableZoneIds());
    private static final String BOUND = "a number, a date (2024-01-01) or a timestamp (2024-01-01 12:00:00)";

    private ScalarTypes() {}

    /** Any text. */
    public static Type<String> text(String describe) {
        return ScalarType.of(describe, "string", w -> string(w).put("minLength", 1), (s, path, b) -> {
            if (s.value().isBlank()) {
                b.error(ProblemType.WRONG_TYPE, s, path, "must not be blank; expected " + describe);
                return null;
            }
            return s.value();
        });
    }

    /** A directory, relative to the definition's directory; it must exist. */
    public static Type<Path> directory() {
        String describe = "a directory path";
        return ScalarType.of(describe, "string", w -> string(w).put("minLength", 1), (s, path, b) -> {
            if (s.value().isBlank()) {
                b.error(ProblemType.WRONG_TYPE, s, path, "must not be blank; expected " + describe);
                return null;
            }
            Path directory = b.baseDirectory().resolve(s.value()).normalize();
            if (!Files.isDirectory(directory)) {
                b.error(ProblemType.WRONG_TYPE, s, path, "no directory " + directory + " (a path is relative to "
                        + "the definition's directory)");
                return null;
            }
            return directory;
        });
    }

    /** A whole number from min to max. */
    public static Type<Integer> integer(int min, int max) {
        String expected = "a whole number from " + min + " to " + max;
        return ScalarType.of(expected, "integer, " + min + " to " + max,
                w -> w.orInterpolated(w.object().put("type", "integer").put("minimum", min).put("maximum", max)),
                (s, path, b) -> {
                    boolean numeric = s.kind() == ScalarKind.INTEGER
                            || (s.interpolated() && s.kind() == ScalarKind.STRING);
                    long value;
                    try {
                        if (!numeric || !s.value().strip().matches("[+-]?[0-9]{1,18}")) {
                            throw new NumberFormatException();
                        }
                        value = Long.parseLong(s.value().strip().replace("+", ""));
                    } catch (NumberFormatException e) {
                        b.error(ProblemType.WRONG_TYPE, s, path, s.describe() + " is not a whole number; use "
                                + expected);
                        return null;
                    }
                    if (value < min || value > max) {
                        b.error(ProblemType.OUT_OF_RANGE, s, path, s.describe() + " is out of range; use " + expected);
                        return null;
                    }
                    return (int) value;
                });
    }

    /** True or false. */
    public static Type<Boolean> bool() {
        return ScalarType.of("true or false", "boolean", w -> w.orInterpolated(w.object().put("type", "boolean")),
                (s, path, b) -> {
                    String v = s.value().strip().toLowerCase(Locale.ROOT);
                    if (s.kind() == ScalarKind.BOOLEAN || s.interpolated()) {
                        if (Set.of("true", "yes", "on", "y").contains(v)) {
                            return true;
                        }
                        if (Set.of("false", "no", "off", "n").contains(v)) {
                            return false;
                        }
                    }
                    b.error(ProblemType.WRONG_TYPE, s, path, s.describe() + " is not a boolean; use true or false");
                    return null;
                });
    }

    /** A duration: a number and a unit, possibly several ({@code 200ms}, {@code 5m}, {@code 1h30m}). */
    public static Type<Duration> duration(Duration min, Duration max) {
        return ScalarType.<Duration>of("a duration such as 200ms, 5m or 1h", "duration",
                w -> w.orInterpolated(string(w).put("pattern", DURATION_PATTERN)), (s, path, b) -> {
                    Duration value = parseDuration(s.value().strip());
                    if (value == null) {
                        b.error(ProblemType.INVALID_DURATION, s, path, s.describe() + " is not a duration; write a "
                                + "number and a unit (ms, s, m, h, d), e.g. 200ms, 5m, 1h30m");
                        return null;
                    }
                    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                        b.error(ProblemType.OUT_OF_RANGE, s, path, s.describe() + " is out of range; use a duration "
                                + "from " + format(min) + " to " + format(max));
                        return null;
                    }
                    return value;
                }).writtenAs(ScalarTypes::format);
    }

    /** Parses {@code 1h30m}; null when it is not a duration. */
    static Duration parseDuration(String text) {
        Matcher m = DURATION_PART.matcher(text);
        Duration total = Duration.ZERO;
        int end = 0;
        try {
            while (m.find()) {
                if (m.start() != end) {
                    return null;
                }
                long n = Long.parseLong(m.group(1));
                total = total.plus(switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                });
                end = m.end();
            }
        } catch (ArithmeticException e) {
            return null;
        }
        return end == text.length() && end > 0 ? total : null;
    }

    /** Formats a duration the way a definition writes it: {@code 1h30m}, {@code 50ms}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        long days = d.toDays();
        long hours = d.toHoursPart();
        long minutes = d.toMinutesPart();
        long seconds = d.toSecondsPart();
        long millis = d.toMillisPart();
        if (days > 0) {
            out.append(days).append('d');
        }
        if (hours > 0) {
            out.append(hours).append('h');
        }
        if (minutes > 0) {
            out.append(minutes).append('m');
        }
        if (seconds > 0) {
            out.append(seconds).append('s');
        }
        if (millis > 0) {
            out.append(millis).append("ms");
        }
        return out.toString();
    }

    /** A percentage from 0 to 100: {@code 99.9%}, or a bare number. */
    public static Type<Percent> percent() {
        return ScalarType.<Percent>of("a percentage such as 99.9%", "percentage", w -> {
            ObjectNode any = w.object();
            any.putArray("anyOf")
                    .add(w.object().put("type", "number").put("minimum", 0).put("maximum", 100))
                    .add(string(w).put("pattern", "^[0-9]{1,3}(\\.[0-9]+)?%$|" + SchemaWriter.INTERPOLATION));
            return any;
        }, (s, path, b) -> {
            Matcher m = PERCENT.matcher(s.value().strip());
            if (!m.matches()) {
                b.error(ProblemType.INVALID_PERCENT, s, path, s.describe()
                        + " is not a percentage; write a number from 0 to 100, e.g. 99.9%");
                return null;
            }
            BigDecimal value = new BigDecimal(m.group(1));
            if (value.signum() < 0 || value.compareTo(BigDecimal.valueOf(100)) > 0) {
                b.error(ProblemType.OUT_OF_RANGE, s, path, s.describe()
                        + " is out of range; use a percentage from 0% to 100%");
                return null;
            }
            return new Percent(value);
        }).writtenAs(Percent::toString);
    }

    /** A calendar date, {@code yyyy-mm-dd}. */
    public static Type<LocalDate> date() {
        return ScalarType.<LocalDate>of("a date such as 2020-01-01", "date", w -> string(w).put("format", "date"),
                (s, path, b) -> {
                    try {
                        return LocalDate.parse(s.value().strip());
                    } catch (DateTimeParseException e) {
                        b.error(ProblemType.INVALID_DATE, s, path, s.describe()
                                + " is not a date; write yyyy-mm-dd, e.g. 2020-01-01");
                        return null;
                    }
                }).writtenAs(LocalDate::toString);
    }

    /** A time zone: an IANA name ({@code Europe/Paris}) or {@code UTC}. */
    public static Type<ZoneId> zone() {
        return ScalarType.<ZoneId>of("a time zone such as UTC or Europe/Paris", "time zone", ScalarType::string,
                (s, path, b) -> {
                    String text = s.value().strip();
                    try {
                        if (!text.isEmpty() && !text.contains("..")) {
                            return ZoneId.of(text);
                        }
                    } catch (DateTimeException e) {
                        // reported below
                    }
                    b.error(ProblemType.INVALID_TIMEZONE, s, path, s.describe() + " is not a time zone; "
                            + Suggestions.didYouMean(text, ZONES) + "use an IANA name such as UTC or Europe/Paris");
                    return null;
                }).writtenAs(ZoneId::getId);
    }

    /** A PostgreSQL expression; syntax and scope are checked once the whole definition is read. */
    public static Type<SqlExpression> expression() {
        return ScalarType.of("a PostgreSQL expression", "PostgreSQL expression", ScalarTypes::anyScalar,
                (s, path, b) -> {
                    if (s.value().isBlank()) {
                        b.error(ProblemType.EXPRESSION_SYNTAX, s, path, "an expression must not be blank");
                        return null;
                    }
                    return new SqlExpression(s.value());
                });
    }

    /** A literal value (text of a string, number or boolean). */
    public static Type<String> literal() {
        return ScalarType.of("a value (string, number or boolean)", "value", ScalarTypes::anyScalar,
                (s, path, b) -> s.value());
    }

    /** A bound of a range: a number, a date or a timestamp, kept as text. */
    public static Type<String> bound() {
        return ScalarType.of(BOUND, "number, date or timestamp", w -> {
            ObjectNode any = w.object();
            any.putArray("type").add("string").add("number");
            return any;
        }, (s, path, b) -> {
            String text = s.value().strip();
            if (isNumber(text) || isTemporal(text)) {
                return text;
            }
            b.error(ProblemType.WRONG_TYPE, s, path, s.describe() + " is not a bound; use " + BOUND);
            return null;
        });
    }

    /** A JSON Schema for a string, a number or a boolean. */
    private static ObjectNode anyScalar(SchemaWriter w) {
        ObjectNode any = w.object();
        any.putArray("type").add("string").add("number").add("boolean");
        return any;
    }

    /** Returns true if the text is a decimal number. */
    static boolean isNumber(String text) {
        if (text.length() > 100) {
            return false;
        }
        try {
            new BigDecimal(text);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static boolean isTemporal(String text) {
        if (text.length() > 40) {
            return false;
        }
        String iso = text.replace(' ', 'T');
        try {
            LocalDate.parse(text);
            return true;
        } catch (DateTimeParseException e) {
            // try the next form
        }
        try {
            LocalDateTime.parse(iso);
            return true;
        } catch (DateTimeParseException e) {
            // try the next form
        }
        try {
            OffsetDateTime.parse(iso);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    /** Returns true for an interpolated scalar, whose value messages must not repeat. */
    static boolean hidden(YamlNode node) {
        return node instanceof Scalar s && s.interpolated();
    }

    /** Returns how a message shows a value: as written ({@code `${VAR}`}) when interpolated, else the value. */
    static String shown(String value, YamlNode node) {
        return hidden(node) ? ((Scalar) node).describe() : "`" + shorten(value) + "`";
    }

    static String shorten(String text) {
        return text.length() > 60 ? text.substring(0, 60) + "…" : text;
    }
}
