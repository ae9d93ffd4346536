package dev.lockstep.core.definition.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in scalar values; {@code $${} stands for a literal {@code ${}.
 * {@code :-} takes the default when the variable is unset or empty, as in a shell.
 */
public final class Interpolator {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final Function<String, String> environment;

    public Interpolator(Function<String, String> environment) {
        this.environment = environment;
    }

    /** A problem at a character index of the raw text. */
    public record Issue(int index, boolean missingVariable, String message) {}

    /** The result: the value, whether anything was replaced, the variables used, and problems. */
    public record Result(String value, boolean interpolated, List<String> variables, List<Issue> issues) {

        /** Returns the variable if the raw text is exactly one {@code ${VAR}} or {@code ${VAR:-default}}. */
        public Optional<String> soleVariable(String raw) {
            return variables.size() == 1 && raw.startsWith("${") && raw.endsWith("}")
                    && raw.indexOf("${", 2) < 0 ? Optional.of(variables.get(0)) : Optional.empty();
        }
    }

    /** Interpolates one scalar. */
    public Result interpolate(String raw) {
        if (raw.indexOf('$') < 0) {
            return new Result(raw, false, List.of(), List.of());
        }
        StringBuilder out = new StringBuilder(raw.length());
        List<String> variables = new ArrayList<>();
        List<Issue> issues = new ArrayList<>();
        boolean replaced = false;
        int i = 0;
        while (i < raw.length()) {
            char c = raw.charAt(i);
            if (c == '$' && raw.startsWith("$${", i)) {
                out.append("${");
                i += 3;
                replaced = true;
            } else if (c == '$' && raw.startsWith("${", i)) {
                int close = raw.indexOf('}', i + 2);
                if (close < 0) {
                    issues.add(new Issue(i, false, "`${` is not closed; write ${NAME}, ${NAME:-default}, "
                            + "or $${ for a literal ${"));
                    return new Result(raw, false, variables, issues);
                }
                String body = raw.substring(i + 2, close);
                int dash = body.indexOf(":-");
                String name = dash < 0 ? body : body.substring(0, dash);
                if (!NAME.matcher(name).matches()) {
                    issues.add(new Issue(i, false, "`${" + truncate(body) + "}` is not a variable reference; "
                            + "a name has letters, digits and underscores, e.g. ${SHOP_DB_PASSWORD}"));
                } else {
                    variables.add(name);
                    String value = environment.apply(name);
                    if (dash >= 0 && (value == null || value.isEmpty())) {
                        value = body.substring(dash + 2);
                    }
                    if (value == null) {
                        issues.add(new Issue(i, true, "environment variable " + name + " is not set; set it, "
                                + "or give a default with ${" + name + ":-default}"));
                        value = "";
                    }
                    out.append(value);
                }
                replaced = true;
                i = close + 1;
            } else {
                out.append(c);
                i++;
            }
        }
        return new Result(out.toString(), replaced, List.copyOf(variables), List.copyOf(issues));
    }

    private static String truncate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
