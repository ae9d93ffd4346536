package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One owner per control-schema table (STYLE.md "Runtime and state"): every SQL statement on a {@code lockstep.*}
 * table is written in that table's store, and nowhere else in main code. The tables are read from the control
 * schema's migrations, so a new table without an owner fails here until it gets one.
 */
class ControlSchemaStoresTest {

    private static final String CONTROL = "control/src/main/java/dev/lockstep/control/";

    /** Table → the one main source file that may hold statements on it. */
    static final Map<String, String> OWNERS = Map.of(
            "offsets", CONTROL + "OffsetStore.java",
            "quarantine", CONTROL + "QuarantineStore.java",
            "quarantine_replays", CONTROL + "ReplayStore.java",
            "alerts", CONTROL + "AlertStore.java",
            "open_alerts", CONTROL + "AlertStore.java",
            "reconcile_barriers", CONTROL + "BarrierStore.java",
            "deployments", "migrations/src/main/java/dev/lockstep/migrations/StoredMigrations.java",
            "warehouse_migrations", "migrations/src/main/java/dev/lockstep/migrations/StoredMigrations.java");

    /** The advisory lock that makes one applier per pipeline: taken and probed in one place. */
    static final String APPLY_LOCK_OWNER = CONTROL + "ApplyLease.java";

    /**
     * A control table named where SQL names a relation — after FROM, INTO, UPDATE, JOIN, TABLE, ON or in
     * {@code to_regclass('...')} — also across a literal split by {@code " + "}.
     */
    private static final Pattern STATEMENT = Pattern.compile("(?i)(?:\\b(?:FROM|INTO|UPDATE|JOIN|TABLE|ON)\\s+"
            + "(?:\"\\s*\\+\\s*\")?|to_regclass\\(')lockstep\\.(\\w+)\\b");
    private static final Pattern APPLY_LOCK = Pattern.compile("'lockstep\\.apply'");
    private static final Pattern CREATE_TABLE = Pattern.compile("(?i)CREATE TABLE\\s+(\\w+)");

    @Test
    void shouldWriteEveryStatementOnAControlTableInItsStore() throws IOException {
        Path root = ModuleDependenciesTest.root();
        assertThat(OWNERS.keySet()).as("every control table that code uses has an owner")
                .containsAll(tablesWithStatements(root));
        List<String> violations = new ArrayList<>();
        int scanned = 0;
        for (Path file : ModuleDependenciesTest.mainSources(root)) {
            scanned++;
            String path = root.relativize(file).toString().replace('\\', '/');
            violations.addAll(violations(path, Files.readString(file, StandardCharsets.UTF_8)));
        }
        assertThat(scanned).as("main sources scanned under " + root).isGreaterThan(100);
        assertThat(violations).isEmpty();
    }

    @Test
    void shouldFindStatementsOutsideTheirStore() {
        String source = """
                package dev.lockstep.runtime;
                class Status {
                    // SELECT * FROM lockstep.offsets: a comment is not a statement
                    String a = "SELECT next_offset FROM lockstep.offsets WHERE pipeline = ?";
                    String b = "UPDATE lockstep.quarantine q SET status = 'x' FROM (SELECT 1 FROM "
                            + "lockstep.quarantine_replays r) WHERE true";
                    String c = "SELECT pg_try_advisory_lock(hashtext('lockstep.apply'), hashtext(?))";
                    String d = "the lockstep.alerts topic";
                }
                """;
        assertThat(violations("runtime/src/main/java/dev/lockstep/runtime/Status.java", source)).containsExactly(
                "runtime/src/main/java/dev/lockstep/runtime/Status.java:4: SQL on lockstep.offsets outside "
                        + CONTROL + "OffsetStore.java",
                "runtime/src/main/java/dev/lockstep/runtime/Status.java:5: SQL on lockstep.quarantine outside "
                        + CONTROL + "QuarantineStore.java",
                "runtime/src/main/java/dev/lockstep/runtime/Status.java:5: SQL on lockstep.quarantine_replays outside "
                        + CONTROL + "ReplayStore.java",
                "runtime/src/main/java/dev/lockstep/runtime/Status.java:7: the apply lock outside "
                        + APPLY_LOCK_OWNER);
        assertThat(violations(CONTROL + "OffsetStore.java", source)).hasSize(3);
    }

    /** Returns where {@code source} (at {@code path}) holds a statement on a control table it does not own. */
    static List<String> violations(String path, String source) {
        String code = JavaReferences.blankComments(source);
        List<String> violations = new ArrayList<>();
        Matcher statement = STATEMENT.matcher(code);
        while (statement.find()) {
            String table = statement.group(1).toLowerCase();
            String owner = OWNERS.getOrDefault(table, "(no store: give lockstep." + table + " one)");
            if (!owner.equals(path)) {
                violations.add(path + ":" + JavaReferences.lineOf(code, statement.start()) + ": SQL on lockstep." + table
                        + " outside " + owner);
            }
        }
        Matcher lock = APPLY_LOCK.matcher(code);
        while (lock.find()) {
            if (!APPLY_LOCK_OWNER.equals(path)) {
                violations.add(path + ":" + JavaReferences.lineOf(code, lock.start()) + ": the apply lock outside " + APPLY_LOCK_OWNER);
            }
        }
        return violations;
    }

    /** The control tables whose statements some main code writes (those must have an owner). */
    private static Set<String> tablesWithStatements(Path root) throws IOException {
        Set<String> created = new TreeSet<>();
        Path migrations = root.resolve("control/src/main/resources/dev/lockstep/control/migrations");
        try (Stream<Path> files = Files.list(migrations)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".sql")).toList()) {
                Matcher m = CREATE_TABLE.matcher(Files.readString(file, StandardCharsets.UTF_8));
                while (m.find()) {
                    created.add(m.group(1).toLowerCase());
                }
            }
        }
        assertThat(created).as("tables created by " + migrations).contains("offsets", "quarantine");
        Set<String> used = new TreeSet<>();
        for (Path file : ModuleDependenciesTest.mainSources(root)) {
            Matcher m = STATEMENT.matcher(JavaReferences.blankComments(Files.readString(file, StandardCharsets.UTF_8)));
            while (m.find()) {
                if (created.contains(m.group(1).toLowerCase())) {
                    used.add(m.group(1).toLowerCase());
                }
            }
        }
        return used;
    }
}
