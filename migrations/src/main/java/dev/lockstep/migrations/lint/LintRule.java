package dev.lockstep.migrations.lint;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every rule of the migration linter, each declared once: its id (Squawk's vocabulary where Squawk has the rule),
 * its severity, what it catches and the safe alternative. Documentation is generated from these entries
 * ({@link #markdownTable()}), so it cannot drift from what the linter does.
 */
public enum LintRule {

    // Token path: ALTER TABLE actions (AlterTable).
    ADDING_REQUIRED_FIELD("adding-required-field", Severity.ERROR,
            "`ADD COLUMN … NOT NULL` without a default fails on a table that has rows.",
            "Add the column with a non-volatile `DEFAULT`, or add it nullable, backfill, then make it required."),
    // Token path: ALTER TABLE actions; quiet after a VALIDATE CONSTRAINT on the table earlier in the script.
    SETTING_NOT_NULLABLE_FIELD("setting-not-nullable-field", Severity.WARNING,
            "`ALTER COLUMN … SET NOT NULL` scans the whole table under an ACCESS EXCLUSIVE lock.",
            "Add `CHECK (col IS NOT NULL) NOT VALID`, `VALIDATE CONSTRAINT` it, then `SET NOT NULL` (no scan)."),
    // Token path: ALTER TABLE actions (JSqlParser rejects SET DATA TYPE).
    CHANGING_COLUMN_TYPE("changing-column-type", Severity.ERROR,
            "`ALTER COLUMN … TYPE` rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (unless the "
                    + "cast is binary-coercible, e.g. `varchar(n)` to `text`).",
            "Add a column of the new type, backfill it, switch readers to it, drop the old one in the contract phase."),
    // Token path: the DEFAULT expression of ADD COLUMN, against a list of volatile functions; serial types.
    ADDING_FIELD_WITH_VOLATILE_DEFAULT("adding-field-with-volatile-default", Severity.ERROR,
            "`ADD COLUMN` with a value computed per row — a volatile default (`random()`, `gen_random_uuid()`, "
                    + "`clock_timestamp()`, `nextval()`), a serial or identity column, a stored generated column — "
                    + "rewrites the whole table under an ACCESS EXCLUSIVE lock.",
            "Add the column without a default (or with a constant one), then backfill it in batches."),
    // Token path (JSqlParser rejects CONCURRENTLY); sizes from LintContext.tableRows.
    REQUIRE_CONCURRENT_INDEX_CREATION("require-concurrent-index-creation", Severity.ERROR,
            "`CREATE INDEX` without `CONCURRENTLY` blocks writes for the whole build on a large table (at least "
                    + LintContext.DEFAULT_LARGE_TABLE_ROWS + " rows by default; a table of unknown size counts as "
                    + "large).",
            "`CREATE INDEX CONCURRENTLY`, alone in its script: it cannot run in a transaction, and Flyway refuses "
                    + "a script that mixes it with transactional statements."),
    // Token path: ALTER TABLE … ADD [CONSTRAINT n] UNIQUE|PRIMARY KEY without USING INDEX; sizes as above.
    DISALLOWED_UNIQUE_CONSTRAINT("disallowed-unique-constraint", Severity.ERROR,
            "`ADD … UNIQUE` or `ADD … PRIMARY KEY` builds its index under an ACCESS EXCLUSIVE lock, blocking reads "
                    + "and writes for the whole build on a large table.",
            "`CREATE UNIQUE INDEX CONCURRENTLY`, then `ADD CONSTRAINT … UNIQUE USING INDEX` (or `PRIMARY KEY USING "
                    + "INDEX`)."),
    // Token path (JSqlParser rejects NOT VALID).
    CONSTRAINT_MISSING_NOT_VALID("constraint-missing-not-valid", Severity.ERROR,
            "Adding a `CHECK` or `FOREIGN KEY` constraint to an existing table validates every row under a lock "
                    + "that blocks writes.",
            "Add it `NOT VALID`, then `VALIDATE CONSTRAINT` in a later statement (a weaker lock)."),
    // Token path: DROP TABLE/VIEW/MATERIALIZED VIEW/SCHEMA, ALTER TABLE … DROP COLUMN; Script.phase.
    BAN_DROP_OUTSIDE_CONTRACT("ban-drop-outside-contract", Severity.ERROR,
            "A table, view, schema or column is dropped in the expand phase, while records of the old definition "
                    + "(and readers) may still need it.",
            "Move the drop to a contract-phase migration, which runs after every old record is loaded."),
    // Token path: ALTER TABLE … RENAME [COLUMN] a TO b.
    RENAMING_COLUMN("renaming-column", Severity.ERROR,
            "`RENAME COLUMN` breaks every reader and writer that uses the old name, at once.",
            "Add the new column, write both, move readers, drop the old one in the contract phase (or add a view)."),
    // Token path: ALTER TABLE|VIEW|MATERIALIZED VIEW … RENAME TO.
    RENAMING_TABLE("renaming-table", Severity.ERROR,
            "Renaming a table or view breaks every reader that uses the old name, at once.",
            "Create the new name (or a view under it), move readers, drop the old name in the contract phase."),
    // Token path: SET [LOCAL|SESSION] lock_timeout, RESET, set_config; then ALTER TABLE, DROP TABLE, TRUNCATE,
    // DROP INDEX, ALTER VIEW … RENAME, REFRESH MATERIALIZED VIEW (without CONCURRENTLY) on an existing relation.
    REQUIRE_LOCK_TIMEOUT("require-lock-timeout", Severity.ERROR,
            "DDL takes an ACCESS EXCLUSIVE lock on an existing table with no `lock_timeout` set before it: queued "
                    + "behind a long query, it blocks every reader of the table until it gets the lock.",
            "Start the script with `SET lock_timeout = '5s';` (or `SET LOCAL`) and retry the migration on timeout."),
    // Token path: every identifier token, unquoted (ASCII-folded) or quoted; string literals are not identifiers.
    PREFER_IDENTIFIER_MAX_LENGTH("prefer-identifier-max-length", Severity.ERROR,
            "An identifier is longer than 63 bytes (UTF-8): PostgreSQL silently truncates it, so two names can "
                    + "collide and later statements miss the object.",
            "Use a name of at most 63 bytes; multibyte characters count 2–4 bytes each."),
    // Token path for DROP and DROP COLUMN; Writes (parser, then token path) for TRUNCATE and DELETE.
    DESTRUCTIVE_WITHOUT_DOWN_SCRIPT("destructive-without-down-script", Severity.ERROR,
            "A script drops or deletes data (`DROP`, `DROP COLUMN`, `TRUNCATE`, `DELETE`) but has no down script, "
                    + "so the deployment cannot be rolled back.",
            "Write the down script that restores the structure (and say in it how the data comes back)."),
    // Parser path: JSqlParser reads the target of INSERT/UPDATE/DELETE/MERGE/TRUNCATE; token path for COPY, for
    // what JSqlParser rejects (UPDATE ONLY …) and for data-modifying WITH clauses (Writes).
    HAND_WRITTEN_WRITES_APPLIER_TABLE("hand-written-writes-applier-table", Severity.ERROR,
            "A hand-written migration writes (`INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`, `MERGE`, `COPY … FROM`) "
                    + "into a raw or star table the applier owns: the applier's versions and offsets no longer "
                    + "describe the rows, and the next change may be lost or applied twice.",
            "Change the definition (or run a backfill) so the applier writes the rows; DDL such as an index or a "
                    + "view over its tables is fine."),
    // From LintContext.keyChangesWithoutRebuild, located at the first statement touching the target's table.
    KEY_CHANGE_WITHOUT_REBUILD("key-change-without-rebuild", Severity.ERROR,
            "A target's key or grain changes in this deployment without a rebuild: its existing rows were keyed "
                    + "the old way and would be merged with new ones on the wrong key.",
            "Deploy the change with a rebuild of the target (a new table filled from the raw layer, then a switch)."),
    // Neither path: not a form the token path reads (nor NothingToCheck) and JSqlParser rejects or only wraps it.
    UNPARSED_STATEMENT("unparsed-statement", Severity.WARNING,
            "The linter could not understand a statement (e.g. a `DO` block), so no other rule checked it.",
            "Review the statement by hand, or write it in a form the linter understands.");

    /** Whether a finding blocks {@code deploy} or is only printed. */
    public enum Severity {
        /** Printed; the deployment goes on. */
        WARNING,
        /** Blocks the deployment unless the rule is allowed with a reason. */
        ERROR
    }

    private final String id;
    private final Severity severity;
    private final String explanation;
    private final String safeAlternative;

    LintRule(String id, Severity severity, String explanation, String safeAlternative) {
        this.id = id;
        this.severity = severity;
        this.explanation = explanation;
        this.safeAlternative = safeAlternative;
    }

    /** Returns the rule's kebab-case id, as given to {@code --allow}. */
    public String id() {
        return id;
    }

    /** Returns the severity of the rule's findings. */
    public Severity severity() {
        return severity;
    }

    /** Returns one sentence on what the rule catches and why it is unsafe. */
    public String explanation() {
        return explanation;
    }

    /** Returns one sentence on what to do instead. */
    public String safeAlternative() {
        return safeAlternative;
    }

    /** Returns the rule with {@code id}, if any. */
    public static Optional<LintRule> byId(String id) {
        return Arrays.stream(values()).filter(r -> r.id.equals(id)).findFirst();
    }

    /** Returns every rule id, comma-separated, in declaration order. */
    public static String ids() {
        return Arrays.stream(values()).map(LintRule::id).collect(Collectors.joining(", "));
    }

    /** Returns a Markdown table of every rule: id, severity, what it catches, safe alternative. */
    public static String markdownTable() {
        StringBuilder md = new StringBuilder("| rule | severity | catches | instead |\n|---|---|---|---|\n");
        for (LintRule rule : values()) {
            md.append("| `").append(rule.id).append("` | ").append(rule.severity.name().toLowerCase(Locale.ROOT))
                    .append(" | ").append(cell(rule.explanation)).append(" | ").append(cell(rule.safeAlternative))
                    .append(" |\n");
        }
        return md.toString();
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }
}
