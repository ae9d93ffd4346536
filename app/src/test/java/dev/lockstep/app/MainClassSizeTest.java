package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No main source file over {@value #MAX_LINES} lines: a class that grows past it holds more than one responsibility
 * and is split by responsibility (not by line count) — the way {@code WarehouseApplier} gave its batch gathering to
 * {@code BatchGatherer} and its replays to {@code QuarantineReplays}.
 */
class MainClassSizeTest {

    static final int MAX_LINES = 450;

    @Test
    void shouldKeepEveryMainSourceFileUnderTheLimit() throws IOException {
        Path root = ModuleDependenciesTest.root();
        List<String> tooLong = new ArrayList<>();
        int scanned = 0;
        for (Path file : ModuleDependenciesTest.mainSources(root)) {
            scanned++;
            long lines;
            try (Stream<String> all = Files.lines(file)) {
                lines = all.count();
            }
            if (lines > MAX_LINES) {
                tooLong.add(root.relativize(file) + ": " + lines + " lines");
            }
        }
        assertThat(scanned).as("main sources scanned under " + root).isGreaterThan(100);
        assertThat(tooLong).as("main source files over " + MAX_LINES + " lines").isEmpty();
    }
}
