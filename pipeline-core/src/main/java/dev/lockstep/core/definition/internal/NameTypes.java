package dev.lockstep.core.definition.internal;

import static dev.lockstep.core.definition.internal.ScalarType.string;
import static dev.lockstep.core.definition.internal.ScalarTypes.hidden;
import static dev.lockstep.core.definition.internal.ScalarTypes.shorten;
import static dev.lockstep.core.definition.internal.ScalarTypes.shown;

import dev.lockstep.core.definition.ColumnRef;
import dev.lockstep.core.definition.ProblemType;
import dev.lockstep.core.definition.internal.YamlNode.Scalar;
import dev.lockstep.core.stream.TableId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The scalar types of the definition format that name things: names Lockstep creates (checked against PostgreSQL's
 * identifier rules), references to what the definition names elsewhere, and the source's tables and columns as
 * PostgreSQL reads them (quoted or folded to lower case).
 */
public final class NameTypes {

    private static final Pattern QUOTED = Pattern.compile("\"((?:[^\"]++|\"\")++)\""); // possessive: no recursion per character
    private static final String PART = "([a-z_][a-z0-9_$]*|\"([^\"]|\"\")+\")";

    private NameTypes() {}

    /** A name Lockstep creates, checked against PostgreSQL's identifier rules. */
    public static Type<String> name(Names.Rule rule) {
        return ScalarType.of("a " + rule.what(), "name",
                w -> string(w).put("pattern", "^[a-z_][a-z0-9_]*$").put("maxLength", Names.MAX_BYTES),
                (s, path, b) -> checkName(s.value(), s, path, b, rule) ? s.value() : null);
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
        return ScalarType.of("the name of " + what, "name of " + what, ScalarType::string, (s, path, b) -> s.value());
    }

    /** A column of a source table: a plain lower-case name, or a quoted one ({@code '"CustomerId"'}). */
    public static Type<String> sourceColumn() {
        return ScalarType.of("a column name", "column name", w -> string(w).put("pattern", "^" + PART + "$"),
                (s, path, b) -> identifierPart(s.value().strip(), s, path, b, "column name"));
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
        return ScalarType.<TableId>of("a table name such as public.customers", "table name",
                w -> string(w).put("pattern", "^(" + PART + "\\.)?" + PART + "$"), NameTypes::toTable)
                .writtenAs(TableId::toString);
    }

    private static TableId toTable(Scalar s, String path, Binder b) {
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
        return ScalarType.of("a column, or lookup.column", "column or lookup.column",
                w -> string(w).put("pattern", "^([a-z_][a-z0-9_]*\\.)?" + PART + "$"), NameTypes::toColumnRef);
    }

    private static ColumnRef toColumnRef(Scalar s, String path, Binder b) {
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
}
