package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point one way (DESIGN.md "Modules"): pipeline-core ← {connectors, quality-rules} ← warehouse ←
 * migrations ← runtime ← app; benchmarks use the libraries, never the CLI. Scans every module's main sources for
 * imports a module must not make.
 */
class ModuleDependenciesTest {

    /** Module directory → its root package. */
    static final Map<String, String> PACKAGES = Map.ofEntries(
            Map.entry("pipeline-core", "dev.lockstep.core"),
            Map.entry("connectors", "dev.lockstep.connectors"),
            Map.entry("quality-rules", "dev.lockstep.quality"),
            Map.entry("warehouse", "dev.lockstep.warehouse"),
            Map.entry("migrations", "dev.lockstep.migrations"),
            Map.entry("embedded", "dev.lockstep.embedded"),
            Map.entry("shop", "dev.lockstep.shop"),
            Map.entry("runtime", "dev.lockstep.runtime"),
            Map.entry("app", "dev.lockstep.app"),
            Map.entry("benchmarks", "dev.lockstep.benchmarks"),
            Map.entry("peer", "dev.lockstep.peer"));

    private static final Set<String> LIBRARIES = Set.of("dev.lockstep.core", "dev.lockstep.connectors",
            "dev.lockstep.quality", "dev.lockstep.warehouse", "dev.lockstep.migrations", "dev.lockstep.runtime");

    /** Module directory → the Lockstep packages its main code may import (besides its own). */
    static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("pipeline-core", Set.of()),
            Map.entry("connectors", Set.of("dev.lockstep.core")),
            Map.entry("quality-rules", Set.of("dev.lockstep.core")),
            Map.entry("warehouse", Set.of("dev.lockstep.core", "dev.lockstep.quality")),
            Map.entry("migrations", Set.of("dev.lockstep.core", "dev.lockstep.quality", "dev.lockstep.warehouse")),
            Map.entry("embedded", Set.of()),
            Map.entry("shop", Set.of()),
            Map.entry("runtime", Set.of("dev.lockstep.core", "dev.lockstep.connectors", "dev.lockstep.quality",
                    "dev.lockstep.warehouse", "dev.lockstep.migrations")),
            Map.entry("app", union(LIBRARIES, Set.of("dev.lockstep.embedded", "dev.lockstep.shop"))),
            // Benchmarks measure the libraries, never the CLI (the chaos suite runs the CLI's jar as a process).
            Map.entry("benchmarks", union(LIBRARIES, Set.of("dev.lockstep.embedded", "dev.lockstep.shop"))),
            Map.entry("peer", union(LIBRARIES, Set.of("dev.lockstep.embedded", "dev.lockstep.shop",
                    "dev.lockstep.benchmarks"))));

    /** Module directory → third-party packages it must not import: the systems it must not know. */
    static final Map<String, Set<String>> FORBIDDEN = Map.of(
            "pipeline-core", Set.of("java.sql", "javax.sql", "org.postgresql", "io.debezium", "org.flywaydb",
                    "com.zaxxer", "kafka.server"),
            "quality-rules", Set.of("java.sql", "javax.sql", "org.postgresql", "io.debezium", "org.flywaydb",
                    "com.zaxxer"),
            "connectors", Set.of("org.flywaydb", "com.zaxxer"),
            "warehouse", Set.of("io.debezium", "org.flywaydb"),
            "migrations", Set.of("io.debezium"),
            "runtime", Set.of("picocli", "kafka.server", "io.zonky"));

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

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }
}
