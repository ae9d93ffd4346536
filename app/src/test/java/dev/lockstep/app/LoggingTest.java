package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Where log lines go: a long-running command's file, and the terminal. */
class LoggingTest {

    private final PrintStream terminalOut = System.out;
    private final ByteArrayOutputStream terminal = new ByteArrayOutputStream();

    @AfterEach
    void restore() {
        Logging.configure(0, null);
        System.setOut(terminalOut);
    }

    @Test
    void shouldWriteEveryLineToTheFileAndOnlyLockstepsWarningsToTheTerminal(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("logs").resolve("run.log");
        captureTerminal();

        Logging.configure(0, file);
        log();

        assertThat(Files.readString(file)).contains("WARN  [main] ", "NetworkClient - broker gone",
                "flyway's warning", "lockstep's news", "lockstep's warning");
        assertThat(terminal()).contains("lockstep's warning")
                .doesNotContain("broker gone", "flyway's warning", "lockstep's news");
    }

    @Test
    void shouldShowEverythingOnTheTerminalWhenVerbose(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run.log");
        captureTerminal();

        Logging.configure(1, file);
        log();

        assertThat(terminal()).contains("broker gone", "flyway's warning", "lockstep's news", "lockstep's warning");
        assertThat(Files.readString(file)).contains("broker gone", "lockstep's warning");
    }

    @Test
    void shouldStopWritingTheFileOfAnEarlierCommand(@TempDir Path dir) throws Exception {
        Path first = dir.resolve("first.log");
        Path second = dir.resolve("second.log");

        Logging.configure(0, first);
        LoggerFactory.getLogger("dev.lockstep.app.Test").info("to the first");
        Logging.configure(0, second);
        LoggerFactory.getLogger("dev.lockstep.app.Test").info("to the second");

        assertThat(Files.readString(first)).contains("to the first").doesNotContain("to the second");
        assertThat(Files.readString(second)).contains("to the second").doesNotContain("to the first");
    }

    @Test
    void shouldNameTheLogFileAfterTheCommandTimeAndProcess() {
        LocalDateTime now = LocalDateTime.of(2026, 12, 4, 21, 45, 7);

        assertThat(LogFileOption.resolve("run", null, Map.of("LOCKSTEP_LOG_DIR", "/var/log/lockstep")::get, now, 42))
                .isEqualTo(Path.of("/var/log/lockstep/run-20261204-214507-42.log"));
        assertThat(LogFileOption.resolve("demo", null, name -> null, now, 7)).isEqualTo(Path.of(
                System.getProperty("user.home"), ".lockstep", "logs", "demo-20261204-214507-7.log"));
        assertThat(LogFileOption.resolve("run", Path.of("/tmp/mine.log"), name -> "/ignored", now, 1))
                .isEqualTo(Path.of("/tmp/mine.log"));
    }

    /** The tests' logback configuration writes to standard output (logback.xml's, to standard error). */
    private void captureTerminal() {
        System.setOut(new PrintStream(terminal, true, StandardCharsets.UTF_8));
    }

    private String terminal() {
        return terminal.toString(StandardCharsets.UTF_8);
    }

    private static void log() {
        LoggerFactory.getLogger("org.apache.kafka.clients.NetworkClient").warn("broker gone");
        LoggerFactory.getLogger("org.flywaydb.core.Flyway").warn("flyway's warning");
        LoggerFactory.getLogger("dev.lockstep.runtime.PipelineRun").info("lockstep's news");
        LoggerFactory.getLogger("dev.lockstep.runtime.PipelineRun").warn("lockstep's warning");
    }
}
