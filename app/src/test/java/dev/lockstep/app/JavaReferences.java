package dev.lockstep.app;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packages one Java source file refers to by name: its imports (static and on demand included) and every
 * fully-qualified type written in its code. Comments, string and character literals and text blocks are blanked
 * first, so that a name in a Javadoc or an SQL string is not a reference, and a reference cannot hide from the
 * check by being written inline instead of imported.
 */
record JavaReferences(String packageName, List<Reference> references) {

    /** A package referred to at a line, as written ({@code text}). */
    record Reference(int line, String packageName, String text) {}

    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(?:static\\s+)?([\\w.]+?)(\\.\\*)?\\s*;",
            Pattern.MULTILINE);
    /** A qualified name starting at a token boundary: lower-case segments, then a type (upper-case) segment. */
    private static final Pattern QUALIFIED = Pattern.compile("(?<![\\w.$])((?:[a-z_][a-z0-9_]*\\.)+)([A-Z][\\w$]*)");

    static JavaReferences of(String source) {
        String code = blankCommentsAndLiterals(source);
        Matcher p = PACKAGE.matcher(code);
        String own = p.find() ? p.group(1) : "";
        List<Reference> found = new ArrayList<>();
        Matcher m = IMPORT.matcher(code);
        StringBuilder rest = new StringBuilder(code);
        while (m.find()) {
            String name = m.group(1);
            String pkg = m.group(2) != null && !startsWithType(name) ? name : packageOf(name);
            found.add(new Reference(lineOf(code, m.start()), pkg, name + (m.group(2) != null ? ".*" : "")));
            blank(rest, m.start(), m.end());
        }
        if (p.find(0)) {
            blank(rest, p.start(), p.end());
        }
        Matcher q = QUALIFIED.matcher(rest);
        while (q.find()) {
            String packageName = q.group(1).substring(0, q.group(1).length() - 1);
            found.add(new Reference(lineOf(code, q.start()), packageName, packageName + "." + q.group(2)));
        }
        return new JavaReferences(own, List.copyOf(found));
    }

    /** The package part of a qualified name: its segments up to the first that starts upper case. */
    static String packageOf(String qualifiedName) {
        List<String> segments = new ArrayList<>();
        for (String segment : qualifiedName.split("\\.")) {
            if (!segment.isEmpty() && Character.isUpperCase(segment.charAt(0))) {
                break;
            }
            segments.add(segment);
        }
        return String.join(".", segments);
    }

    private static boolean startsWithType(String qualifiedName) {
        return !packageOf(qualifiedName).equals(qualifiedName);
    }

    /** Returns the line (from 1) of {@code offset} in {@code text}. */
    static int lineOf(CharSequence text, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    private static void blank(StringBuilder text, int from, int to) {
        for (int i = from; i < to; i++) {
            if (text.charAt(i) != '\n') {
                text.setCharAt(i, ' ');
            }
        }
    }

    /** Returns {@code source} with comments and literals replaced by spaces (line breaks kept). */
    static String blankCommentsAndLiterals(String source) {
        return blank(source, true);
    }

    /** Returns {@code source} with comments replaced by spaces (line breaks kept); literals stay. */
    static String blankComments(String source) {
        return blank(source, false);
    }

    private static String blank(String source, boolean literals) {
        StringBuilder out = new StringBuilder(source);
        int i = 0;
        int n = source.length();
        while (i < n) {
            char c = source.charAt(i);
            int end;
            if (source.startsWith("//", i)) {
                end = source.indexOf('\n', i);
                end = end < 0 ? n : end;
            } else if (source.startsWith("/*", i)) {
                end = source.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
            } else if (source.startsWith("\"\"\"", i)) {
                end = closing(source, i + 3, "\"\"\"");
            } else if (c == '"' || c == '\'') {
                end = closing(source, i + 1, String.valueOf(c));
            } else {
                i++;
                continue;
            }
            if (literals || source.startsWith("//", i) || source.startsWith("/*", i)) {
                blank(out, i, end);
            }
            i = end;
        }
        return out.toString();
    }

    /** The offset just after the unescaped {@code quote} that closes a literal whose content starts at {@code from}. */
    private static int closing(String source, int from, String quote) {
        int i = from;
        while (i < source.length()) {
            if (source.charAt(i) == '\\') {
                i += 2;
            } else if (source.startsWith(quote, i)) {
                return i + quote.length();
            } else {
                i++;
            }
        }
        return source.length();
    }
}
