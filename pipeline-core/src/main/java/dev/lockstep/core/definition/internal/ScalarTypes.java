package dev.lockstep.core.definition.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lockstep.core.definition.ColumnRef;
import dev.lockstep.core.definition.Percent;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.Secret;
import dev.lockstep.core.definition.SqlExpression;
import dev.lockstep.core.definition.internal.YamlNode.Scalar;
import dev.lockstep.core.definition.internal.YamlNode.ScalarKind;
import dev.lockstep.core.stream.TableId;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The scalar types of the definition format. */
public final class ScalarTypes {

    private ScalarTypes() {}

    /** A type read from one scalar. */
    abstract static class ScalarType<T> extends Type<T> {
        private final String expected;

        ScalarType(String expected) {
            this.expected = expected;
        }

        @Override
        public final T read(YamlNode node, String path, Binder binder) {
            Scalar scalar = binder.scalar(node, path, expected);
            return scalar == null ? null : convert(scalar, path, binder);
        }

        /** Converts a scalar with a value; reports and returns null when invalid. */
        abstract T convert(Scalar scalar, String path, Binder binder);

        /** Returns what is expected, for messages. */
        String expected() {
            return expected;
        }

        ObjectNode string(SchemaWriter writer) {
            return writer.object().put("type", "string");
        }
    }

    /** Any text. */
    public static Type<String> text(String describe) {
        return new ScalarType<>(describe) {
            @Override
            String convert(Scalar s, String path, Binder b) {
                if (s.value().isBlank()) {
                    b.error(ProblemType.WRONG_TYPE, s, path, "must not be blank; expected " + expected());
                    return null;
                }
                return s.value();
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                return string(w).put("minLength", 1);
            }

            @Override
            public String describe() {
                return "string";
            }
        };
    }

    /** A name Lockstep creates, checked against PostgreSQL's identifier rules. */
    public static Type<String> name(Names.Rule rule) {
        return new ScalarType<>("a " + rule.what()) {
            @Override
            String convert(Scalar s, String path, Binder b) {
                return checkName(s.value(), s, path, b, rule) ? s.value() : null;
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                return string(w).put("pattern", "^[a-z_][a-z0-9_]*$").put("maxLength", Names.MAX_BYTES);
            }

            @Override
            public String describe() {
                return "name";
            }
        };
    }

    /** Checks a name Lockstep creates; reports and returns false when it is not usable. */
    static boolean checkName(String name, YamlNode node, String path, Binder b, Names.Rule rule) {
        if (node instanceof Scalar s && s.interpolated()) {
            name = s.value();
        }
        if (!Names.PLAIN.matcher(name).matches()) {
            b.error(ProblemType.INVALID_NAME, node, path, shown(name, node) + " is not a valid " + rule.what()
                    + "; use lower-case letters, digits and underscores, starting with a letter or underscore"
                    + (hidden(node) ? "" : ", e.g. `" + Names.plainFrom(name) + "`"));
            return false;
        }
        if (rule.refuseReserved() && Names.isReserved(name)) {
            b.error(ProblemType.RESERVED_WORD, node, path, "`" + name + "` is a reserved word in PostgreSQL and "
                    + "cannot be a " + rule.what() + " unless quoted everywhere; choose another name, e.g. `"
                    + name + "_`");
            return false;
        }
        List<String> names = new ArrayList<>(List.of(name));
        names.addAll(rule.derivedFrom(name));
        for (String derived : names) {
            int bytes = Names.bytes(derived);
            if (bytes > Names.MAX_BYTES) {
                int allowed = Names.bytes(name) - (bytes - Names.MAX_BYTES);
                b.error(ProblemType.NAME_TOO_LONG, node, path, (derived.equals(name) || hidden(node)
                        ? shown(name, node) : "the derived name `" + shorten(derived) + "`") + " is " + bytes + " bytes; PostgreSQL "
                        + "names are at most " + Names.MAX_BYTES + " bytes, so shorten the " + rule.what()
                        + " to at most " + Math.max(1, allowed) + " characters");
                return false;
            }
        }
        return true;
    }

    /** A reference to something named elsewhere in the definition; resolved by the semantic checks. */
    public static Type<String> reference(String what) {
        return new ScalarType<>("the name of " + what) {
            @Override
            String convert(Scalar s, String path, Binder b) {
                return s.value();
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                return string(w);
            }

            @Override
            public String describe() {
                return "name of " + what;
            }
        };
    }

    private static final Pattern QUOTED = Pattern.compile("\"((?:[^\"]++|\"\")++)\""); // possessive: no recursion per character

    /** A column of a source table: a plain lower-case name, or a quoted one ({@code '"CustomerId"'}). */
    public static Type<String> sourceColumn() {
        return new ScalarType<>("a column name") {
            @Override
            String convert(Scalar s, String path, Binder b) {
                return identifierPart(s.value().strip(), s, path, b, "column name");
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                return string(w).put("pattern", "^([a-z_][a-z0-9_$]*|\"([^\"]|\"\")+\")$");
            }

            @Override
            public String describe() {
                return "column name";
            }
        };
    }

    /** Reads one identifier as PostgreSQL would: quoted keeps case; plain must already be lower case. */
    static String identifierPart(String text, YamlNode node, String path, Binder b, String what) {
        if (hidden(node)) {
            if (QUOTED.matcher(text).matches() || text.matches("[a-z_][a-z0-9_$]*")) {
                return identifierPart(text, null, path, b, what);
            }
            b.error(ProblemType.INVALID_NAME, node, path, shown(text, node) + " is not a valid " + what
                    + "; write a plain lower-case name or a quoted one");
            return null;
        }
        Matcher quoted = QUOTED.matcher(text);
        if (quoted.matches()) {
            return quoted.group(1).replace("\"\"", "\"");
        }
        if (text.matches("[a-z_][a-z0-9_$]*")) {
            return text;
        }
        if (text.matches("[A-Za-z_][A-Za-z0-9_$]*")) {
            b.error(ProblemType.INVALID_NAME, node, path, "`" + text + "` has upper-case letters; PostgreSQL folds "
                    + "unquoted names to lower case, so write `" + text.toLowerCase(Locale.ROOT)
                    + "`, or quote the name to keep its case: '\"" + text + "\"'");
        } else {
            b.error(ProblemType.INVALID_NAME, node, path, "`" + shorten(text) + "` is not a valid " + what
                    + "; write a plain name (lower-case letters, digits, _) or quote it: '\"" + shorten(text) + "\"'");
        }
        return null;
    }

    /** A source table, {@code schema.table} or {@code table} (schema {@code public}). */
    public static Type<TableId> table() {
        return new ScalarType<>("a table name such as public.customers") {
            @Override
            TableId convert(Scalar s, String path, Binder b) {
                List<String> parts = splitQualified(s.value().strip());
                if (parts == null || parts.isEmpty() || parts.size() > 2) {
                    b.error(ProblemType.INVALID_TABLE_NAME, s, path, s.describe() + " is not a table name; write "
                            + "schema.table (e.g. public.customers) or just table for schema public");
                    return null;
                }
                List<String> names = new ArrayList<>();
                for (String part : parts) {
                    String name = identifierPart(part, s, path, b, "table name");
                    if (name == null) {
                        return null;
                    }
                    names.add(name);
                }
                return names.size() == 1 ? new TableId("public", names.get(0)) : new TableId(names.get(0), names.get(1));
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                String part = "([a-z_][a-z0-9_$]*|\"([^\"]|\"\")+\")";
                return string(w).put("pattern", "^(" + part + "\\.)?" + part + "$");
            }

            @Override
            public Object toJson(TableId value) {
                return value.toString();
            }

            @Override
            public String describe() {
                return "table name";
            }
        };
    }

    /** Splits {@code a.b} on dots outside double quotes; null when quotes are unbalanced. */
    static List<String> splitQualified(String text) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                quoted = !quoted;
                current.append(c);
            } else if (c == '.' && !quoted) {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (quoted) {
            return null;
        }
        parts.add(current.toString());
        return parts;
    }

    /** A column of the base table ({@code customer_id}) or of a lookup ({@code ord.customer_id}). */
    public static Type<ColumnRef> columnRef() {
        return new ScalarType<>("a column, or lookup.column") {
            @Override
            ColumnRef convert(Scalar s, String path, Binder b) {
                List<String> parts = splitQualified(s.value().strip());
                if (parts == null || parts.isEmpty() || parts.size() > 2) {
                    b.error(ProblemType.INVALID_NAME, s, path, s.describe() + " is not a column; write a column of "
                            + "the table (customer_id) or of an earlier lookup (ord.customer_id)");
                    return null;
                }
                String column = identifierPart(parts.get(parts.size() - 1), s, path, b, "column name");
                if (column == null) {
                    return null;
                }
                if (parts.size() == 1) {
                    return ColumnRef.of(column);
                }
                String lookup = parts.get(0);
                if (!Names.PLAIN.matcher(lookup).matches()) {
                    b.error(ProblemType.INVALID_NAME, s, path, "`" + shorten(lookup) + "` is not a lookup name");
                    return null;
                }
                return ColumnRef.of(lookup, column);
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                return string(w).put("pattern", "^([a-z_][a-z0-9_]*\\.)?([a-z_][a-z0-9_$]*|\"([^\"]|\"\")+\")$");
            }

            @Override
            public String describe() {
                return "column or lookup.column";
            }
        };
    }

    /** A whole number from min to max. */
    public static Type<Integer> integer(int min, int max) {
        return new ScalarType<>("a whole number from " + min + " to " + max) {
            @Override
            Integer convert(Scalar s, String path, Binder b) {
                boolean numeric = s.kind() == ScalarKind.INTEGER || (s.interpolated() && s.kind() == ScalarKind.STRING);
                long value;
                try {
                    if (!numeric || !s.value().strip().matches("[+-]?[0-9]{1,18}")) {
                        throw new NumberFormatException();
                    }
                    value = Long.parseLong(s.value().strip().replace("+", ""));
                } catch (NumberFormatException e) {
                    b.error(ProblemType.WRONG_TYPE, s, path, s.describe() + " is not a whole number; use " + expected());
                    return null;
                }
                if (value < min || value > max) {
                    b.error(ProblemType.OUT_OF_RANGE, s, path, s.describe() + " is out of range; use " + expected());
                    return null;
                }
                return (int) value;
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                return w.orInterpolated(w.object().put("type", "integer").put("minimum", min).put("maximum", max));
            }

            @Override
            public String describe() {
                return "integer, " + min + " to " + max;
            }
        };
    }

    /** True or false. */
    public static Type<Boolean> bool() {
        return new ScalarType<>("true or false") {
            @Override
            Boolean convert(Scalar s, String path, Binder b) {
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
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                return w.orInterpolated(w.object().put("type", "boolean"));
            }

            @Override
            public String describe() {
                return "boolean";
            }
        };
    }

    private static final Pattern DURATION_PART = Pattern.compile("([0-9]{1,12})(ms|s|m|h|d)");
    private static final String DURATION_PATTERN = "^([0-9]+(ms|s|m|h|d))+$";

    /** A duration: a number and a unit, possibly several ({@code 200ms}, {@code 5m}, {@code 1h30m}). */
    public static Type<Duration> duration(Duration min, Duration max) {
        return new ScalarType<>("a duration such as 200ms, 5m or 1h") {
            @Override
            Duration convert(Scalar s, String path, Binder b) {
                Duration value = parseDuration(s.value().strip());
                if (value == null) {
                    b.error(ProblemType.INVALID_DURATION, s, path, s.describe() + " is not a duration; write a "
                            + "number and a unit (ms, s, m, h, d), e.g. 200ms, 5m, 1h30m");
                    return null;
                }
                if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                    b.error(ProblemType.OUT_OF_RANGE, s, path, s.describe() + " is out of range; use a duration from "
                            + format(min) + " to " + format(max));
                    return null;
                }
                return value;
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                return w.orInterpolated(string(w).put("pattern", DURATION_PATTERN));
            }

            @Override
            public Object toJson(Duration value) {
                return format(value);
            }

            @Override
            public String describe() {
                return "duration";
            }
        };
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

    private static final Pattern PERCENT = Pattern.compile("([+-]?[0-9]{1,3}(\\.[0-9]{1,6})?)\\s*%?");

    /** A percentage from 0 to 100: {@code 99.9%}, or a bare number. */
    public static Type<Percent> percent() {
        return new ScalarType<>("a percentage such as 99.9%") {
            @Override
            Percent convert(Scalar s, String path, Binder b) {
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
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                ObjectNode any = w.object();
                any.putArray("anyOf")
                        .add(w.object().put("type", "number").put("minimum", 0).put("maximum", 100))
                        .add(string(w).put("pattern", "^[0-9]{1,3}(\\.[0-9]+)?%$|" + SchemaWriter.INTERPOLATION));
                return any;
            }

            @Override
            public Object toJson(Percent value) {
                return value.toString();
            }

            @Override
            public String describe() {
                return "percentage";
            }
        };
    }

    /** A calendar date, {@code yyyy-mm-dd}. */
    public static Type<LocalDate> date() {
        return new ScalarType<>("a date such as 2020-01-01") {
            @Override
            LocalDate convert(Scalar s, String path, Binder b) {
                try {
                    return LocalDate.parse(s.value().strip());
                } catch (DateTimeParseException e) {
                    b.error(ProblemType.INVALID_DATE, s, path, s.describe()
                            + " is not a date; write yyyy-mm-dd, e.g. 2020-01-01");
                    return null;
                }
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                return string(w).put("format", "date");
            }

            @Override
            public Object toJson(LocalDate value) {
                return value.toString();
            }

            @Override
            public String describe() {
                return "date";
            }
        };
    }

    private static final Set<String> ZONES = new TreeSet<>(ZoneId.getAvailableZoneIds());

    /** A time zone: an IANA name ({@code Europe/Paris}) or {@code UTC}. */
    public static Type<ZoneId> zone() {
        return new ScalarType<>("a time zone such as UTC or Europe/Paris") {
            @Override
            ZoneId convert(Scalar s, String path, Binder b) {
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
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                return string(w);
            }

            @Override
            public Object toJson(ZoneId value) {
                return value.getId();
            }

            @Override
            public String describe() {
                return "time zone";
            }
        };
    }

    /** A PostgreSQL JDBC URL. */
    public static Type<String> jdbcUrl() {
        return new ScalarType<>("a JDBC URL such as jdbc:postgresql://localhost:5432/shop") {
            @Override
            String convert(Scalar s, String path, Binder b) {
                String url = s.value().strip();
                if (url.startsWith("jdbc:postgresql://") && url.length() > "jdbc:postgresql://".length()) {
                    return url;
                }
                String hint = url.startsWith("postgresql://") || url.startsWith("postgres://")
                        ? "write it as a JDBC URL: jdbc:postgresql://host:5432/database"
                        : "use jdbc:postgresql://host:5432/database";
                b.error(ProblemType.INVALID_URL, s, path, s.describe() + " is not a PostgreSQL JDBC URL; " + hint);
                return null;
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                return string(w).put("pattern", "^(jdbc:postgresql://.+|\\$\\{.+\\})$");
            }

            @Override
            public String describe() {
                return "JDBC URL";
            }
        };
    }

    private static final Pattern SOLE_VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?}");

    /** A password: {@code ${ENV_VAR}}, or {@code {file: path}} read when connecting. */
    public static Type<Secret> secret(ObjectSpec fileSpec, Field<String> fileField) {
        return new Type<>() {
            @Override
            public Secret read(YamlNode node, String path, Binder b) {
                if (node instanceof YamlNode.Mapping) {
                    Section file = fileSpec.read(node, path, b);
                    String name = file == null ? null : file.value(fileField);
                    return name == null ? null : Secret.fromFile(b.baseDirectory().resolve(name).normalize());
                }
                Scalar s = b.scalar(node, path, "${ENV_VAR} or {file: path}");
                if (s == null) {
                    return null;
                }
                Matcher sole = SOLE_VARIABLE.matcher(s.raw().strip());
                if (s.interpolated() && sole.matches()) {
                    return Secret.fromEnvironment(sole.group(1), s.value());
                }
                if (s.interpolated() && s.raw().contains("${") && !s.raw().contains("$${")) {
                    return Secret.fromEnvironment("interpolated into " + path, s.value());
                }
                b.error(ProblemType.LITERAL_SECRET, s, path, "a password is never written in a definition (it is "
                        + "reviewed, committed and shared); reference it: ${SHOP_DB_PASSWORD}, or {file: "
                        + "/run/secrets/shop_db}");
                return null;
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                ObjectNode any = w.object();
                any.putArray("anyOf")
                        .add(w.object().put("type", "string").put("pattern", SchemaWriter.INTERPOLATION))
                        .add(w.ref(fileSpec));
                return any;
            }

            @Override
            public String describe() {
                return "secret: `${ENV_VAR}` or `{file: path}`";
            }

            @Override
            public List<ObjectSpec> nested() {
                return List.of(fileSpec);
            }
        };
    }

    /** An http(s) URL that may embed a token, so it is kept as a {@link Secret}. */
    public static Type<Secret> webhook() {
        return new ScalarType<>("an http(s) URL") {
            @Override
            Secret convert(Scalar s, String path, Binder b) {
                String text = s.value().strip();
                URI uri;
                try {
                    uri = new URI(text);
                } catch (URISyntaxException e) {
                    uri = null;
                }
                if (uri == null || uri.getHost() == null || uri.getScheme() == null
                        || !Set.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))) {
                    b.error(ProblemType.INVALID_URL, s, path, s.describe()
                            + " is not an http(s) URL; e.g. https://hooks.example.com/lockstep");
                    return null;
                }
                String shown = uri.getScheme() + "://" + uri.getHost() + "/…";
                Matcher sole = SOLE_VARIABLE.matcher(s.raw().strip());
                if (s.interpolated() && sole.matches()) {
                    return Secret.fromEnvironment(sole.group(1), text);
                }
                return s.interpolated() ? Secret.fromEnvironment("interpolated into " + path, text)
                        : Secret.literal(text, shown);
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                return string(w).put("pattern", "^(https?://.+|.*\\$\\{.+\\}.*)$");
            }

            @Override
            public String describe() {
                return "URL";
            }
        };
    }

    /** A PostgreSQL expression; syntax and scope are checked once the whole definition is read. */
    public static Type<SqlExpression> expression() {
        return new ScalarType<>("a PostgreSQL expression") {
            @Override
            SqlExpression convert(Scalar s, String path, Binder b) {
                if (s.value().isBlank()) {
                    b.error(ProblemType.EXPRESSION_SYNTAX, s, path, "an expression must not be blank");
                    return null;
                }
                return new SqlExpression(s.value());
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                ObjectNode any = w.object();
                any.putArray("type").add("string").add("number").add("boolean");
                return any;
            }

            @Override
            public String describe() {
                return "PostgreSQL expression";
            }
        };
    }

    /** A literal value (text of a string, number or boolean). */
    public static Type<String> literal() {
        return new ScalarType<>("a value (string, number or boolean)") {
            @Override
            String convert(Scalar s, String path, Binder b) {
                return s.value();
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                ObjectNode any = w.object();
                any.putArray("type").add("string").add("number").add("boolean");
                return any;
            }

            @Override
            public String describe() {
                return "value";
            }
        };
    }

    /** A bound of a range: a number, a date or a timestamp, kept as text. */
    public static Type<String> bound() {
        return new ScalarType<>("a number, a date (2024-01-01) or a timestamp (2024-01-01 12:00:00)") {
            @Override
            String convert(Scalar s, String path, Binder b) {
                String text = s.value().strip();
                if (isNumber(text) || isTemporal(text)) {
                    return text;
                }
                b.error(ProblemType.WRONG_TYPE, s, path, s.describe() + " is not a bound; use " + expected());
                return null;
            }

            @Override
            public ObjectNode schema(SchemaWriter w) {
                ObjectNode any = w.object();
                any.putArray("type").add("string").add("number");
                return any;
            }

            @Override
            public String describe() {
                return "number, date or timestamp";
            }
        };
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
