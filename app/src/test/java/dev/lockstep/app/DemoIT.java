package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.embedded.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code lockstep demo} as a user runs it: its embedded services, the shop's workload, the pipeline until the first
 * star-schema rows, Ctrl-C. Its terminal carries the command's own lines only — every library's log line goes to
 * the log file it names at start.
 */
class DemoIT {

    /** A log line on the terminal (time, [thread,] level, abbreviated logger: logback.xml's or the tests'). */
    private static final Pattern LOG_LINE = Pattern.compile("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} +(?:\\[[^\\]]*\\] +)?"
            + "[A-Z]+ +(\\S+) - .*");

    @Test
    void shouldKeepLibraryLogLinesOffTheTerminalAndInTheLogFileItNames() throws Exception {
        List<String> terminal;
        try (ChildJvm demo = ChildJvm.of(Lockstep.class).args("demo", "--progress", "log", "--rate", "100")
                .heap("512m").start()) {
            demo.awaitLine(l -> l.startsWith("Running pipeline shop"), Duration.ofMinutes(3));
            demo.awaitLine(l -> l.startsWith("Initial snapshot applied"), Duration.ofMinutes(2));
            // A progress line (every 10 s) while the workload's changes stream.
            demo.awaitLine(l -> l.startsWith("pipeline shop: streaming"), Duration.ofMinutes(1));
            demo.stop(Duration.ofMinutes(2)); // SIGTERM: the JVM exits with 143 after the shutdown hooks ran
            terminal = demo.output();
        }

        assertThat(terminal).as("a clean stop").anyMatch(l -> l.startsWith("Stopped pipeline shop at"))
                .anyMatch(l -> l.startsWith("Embedded services stopped"));
        assertThat(terminal).as("library log lines on the terminal")
                .noneMatch(l -> LOG_LINE.matcher(l).matches() && !LOG_LINE.matcher(l).replaceAll("$1")
                        .startsWith("d.l."));
        String named = terminal.stream().filter(l -> l.startsWith("Log file: ")).findFirst().orElseThrow();
        Path logFile = Path.of(named.substring("Log file: ".length()));
        assertThat(terminal.get(0)).as("the log file is named first").isEqualTo(named);
        String log = Files.readString(logFile);
        assertThat(log).contains("Extract of pipeline shop started");
        assertThat(log).as("warnings whose cause was ours").doesNotContain("already exists")
                .doesNotContain("Not updating last stable offset");
    }
}
