package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point one way (DESIGN.md "Modules"): pipeline-core ← {connectors, quality-rules} ← warehouse ←
 * migrations ← app. Scans every module's main sources for imports a module must not make.
 */
class ModuleDependenciesTest {

    /** Module directory → its root package. */
    static final Map<String, String> PACKAGES = Map.of(
            "pipeline-core", "dev.lockstep.core",
            "connectors", "dev.lockstep.connectors",
            "quality-rules", "dev.lockstep.quality",
            "warehouse", "dev.lockstep.warehouse",
            "migrations", "dev.lockstep.migrations",
            "embedded", "dev.lockstep.embedded",
            "app", "dev.lockstep.app",
            "benchmarks", "dev.lockstep.benchmarks");

    /** Module directory → the Lockstep packages its main code may import (besides its own). */
    static final Map<String, Set<String>> ALLOWED = Map.of(
            "pipeline-core", Set.of(),
            "connectors", Set.of("dev.lockstep.core"),
            "quality-rules", Set.of("dev.lockstep.core"),
            "warehouse", Set.of("dev.lockstep.core", "dev.lockstep.quality"),
            "migrations", Set.of("dev.lockstep.core", "dev.lockstep.quality", "dev.lockstep.warehouse"),
            "embedded", Set.of(),
            "app", Set.copyOf(PACKAGES.values()),
            "benchmarks", Set.copyOf(PACKAGES.values()));

    /** Module directory → third-party packages it must not import: the systems it must not know. */
    static final Map<String, Set<String>> FORBIDDEN = Map.of(
            "pipeline-core", Set.of("java.sql", "javax.sql", "org.postgresql", "io.debezium", "org.flywaydb",
                    "com.zaxxer", "kafka.server"),
            "quality-rules", Set.of("java.sql", "javax.sql", "org.postgresql", "io.debezium", "org.flywaydb",
                    "com.zaxxer"),
            "connectors", Set.of("org.flywaydb", "com.zaxxer"),
            "warehouse", Set.of("io.debezium", "org.flywaydb"),
            "migrations", Set.of("io.debezium"));

    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+)(?:\\.\\*)?;",
            Pattern.MULTILINE);

    @Test
    void shouldImportOnlyWhatEachModuleMayDependOn() throws IOException {
        Path root = Path.of(System.getProperty("lockstep.root", "..")).toAbsolutePath().normalize();
        List<String> violations = new ArrayList<>();
        int scanned = 0;
        for (String module : PACKAGES.keySet()) {
            Path sources = root.resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(sources)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(sources)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    violations.addAll(violations(module, root.relativize(file).toString(), Files.readString(file)));
                    scanned++;
                }
            }
        }
        assertThat(scanned).as("Java files scanned under " + root).isGreaterThan(10);
        assertThat(violations).isEmpty();
    }

    @Test
    void shouldReportForbiddenImports() {
        String source = """
                package dev.lockstep.quality;
                import java.sql.Connection;
                import dev.lockstep.warehouse.Applier;
                import dev.lockstep.core.internal.Parser;
                import static dev.lockstep.core.Names.TOPIC;
                """;

        assertThat(violations("quality-rules", "Rule.java", source)).containsExactly(
                "Rule.java: quality-rules must not import java.sql.Connection",
                "Rule.java: quality-rules must not import dev.lockstep.warehouse.Applier",
                "Rule.java: dev.lockstep.core.internal.Parser is internal to another module");
    }

    static List<String> violations(String module, String file, String source) {
        String own = PACKAGES.get(module);
        List<String> found = new ArrayList<>();
        Matcher m = IMPORT.matcher(source);
        while (m.find()) {
            String imported = m.group(1);
            if (imported.startsWith(own + ".") || imported.equals(own)) {
                continue;
            }
            if (imported.startsWith("dev.lockstep.")) {
                boolean allowed = ALLOWED.get(module).stream().anyMatch(p -> imported.startsWith(p + "."));
                if (!allowed) {
                    found.add(file + ": " + module + " must not import " + imported);
                } else if (imported.contains(".internal.") && !module.equals("app")) {
                    found.add(file + ": " + imported + " is internal to another module");
                }
                continue;
            }
            for (String forbidden : FORBIDDEN.getOrDefault(module, Set.of())) {
                if (imported.startsWith(forbidden + ".")) {
                    found.add(file + ": " + module + " must not import " + imported);
                }
            }
        }
        return found;
    }
}
