package dev.lockstep.migrations.lint;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/**
 * One thing the linter found: which rule, where, and what exactly.
 *
 * @param rule the rule that caught it; its severity, explanation and safe alternative are the rule's
 * @param file the script's file name, or {@value #DEPLOYMENT} for a finding about the deployment as a whole
 * @param statement the statement's number in the script, from 1; 0 for the deployment as a whole
 * @param line the line in the script where the statement (or the offending part of it) starts, from 1; 0 if none
 * @param detail what in the statement triggered the rule, e.g. {@code ALTER COLUMN amount TYPE on shop_dw.fact_sale}
 */
public record Finding(LintRule rule, String file, int statement, int line, String detail) {

    /** The file name of findings about the deployment as a whole rather than one script. */
    public static final String DEPLOYMENT = "(deployment)";

    public Finding {
        requireNonNull(rule, "rule");
        requireNonNull(file, "file");
        requireNonNull(detail, "detail");
    }

    /** Returns the rule's severity. */
    public LintRule.Severity severity() {
        return rule.severity();
    }

    /**
     * Returns one line for the console:
     * {@code V7__x.sql:12: error: changing-column-type (statement 3): <detail>. <explanation> Instead: <alternative>}.
     */
    public String format() {
        String where = line > 0 ? file + ":" + line : file;
        String which = statement > 0 ? " (statement " + statement + ")" : "";
        return where + ": " + rule.severity().name().toLowerCase(Locale.ROOT) + ": " + rule.id() + which + ": "
                + detail + ". " + rule.explanation() + " Instead: " + rule.safeAlternative();
    }
}
