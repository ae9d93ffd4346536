package dev.lockstep.warehouse;

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
 * The warehouse module's packages depend one way, without a cycle: {@code raw} (the raw layer's DDL and merge) ←
 * {@code star} (the star schema built on it) ← {@code apply} (the applier, which runs both).
 */
class PackageDependenciesTest {

    /** Package → the sibling packages of this module it must not import. */
    private static final Map<String, Set<String>> FORBIDDEN = Map.of(
            "raw", Set.of("star", "apply"),
            "star", Set.of("apply"));

    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?dev\\.lockstep\\.warehouse\\."
            + "(\\w+)\\.", Pattern.MULTILINE);

    @Test
    void shouldKeepThePackagesFreeOfCycles() throws IOException {
        Path sources = Path.of("src/main/java/dev/lockstep/warehouse");
        List<String> violations = new ArrayList<>();
        for (Map.Entry<String, Set<String>> rule : FORBIDDEN.entrySet()) {
            try (Stream<Path> files = Files.walk(sources.resolve(rule.getKey()))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    Matcher m = IMPORT.matcher(Files.readString(file));
                    while (m.find()) {
                        if (rule.getValue().contains(m.group(1))) {
                            violations.add(sources.relativize(file) + " imports dev.lockstep.warehouse." + m.group(1));
                        }
                    }
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void shouldSeeTheImportsItChecks() throws IOException {
        // The scan finds what it forbids: apply imports both raw and star.
        String applier = Files.readString(Path.of("src/main/java/dev/lockstep/warehouse/apply/WarehouseApplier.java"));
        List<String> found = new ArrayList<>();
        Matcher m = IMPORT.matcher(applier);
        while (m.find()) {
            found.add(m.group(1));
        }
        assertThat(found).contains("raw", "star");
    }
}
