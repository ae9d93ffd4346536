package dev.lockstep.app;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * {@code --log-file}: where a long-running command writes its log — Lockstep's lines and every library's (Kafka,
 * Debezium, Flyway, pgjdbc) — so that they do not interleave with its progress on the terminal.
 */
final class LogFileOption {

    /** The environment variable naming the directory of the default log files. */
    static final String DIRECTORY_VARIABLE = "LOCKSTEP_LOG_DIR";

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    @Option(names = "--log-file", paramLabel = "FILE",
            description = "Where the log goes: Lockstep's lines and the libraries' (the terminal shows them with "
                    + "-v). Default: a new file <command>-<time>-<pid>.log in $LOCKSTEP_LOG_DIR, else "
                    + "~/.lockstep/logs.")
    Path file;

    /** The file the log of {@code command} goes to: {@code --log-file}, else a new file in the log directory. */
    Path resolve(String command) {
        return resolve(command, file, System::getenv, LocalDateTime.now(), ProcessHandle.current().pid());
    }

    static Path resolve(String command, Path chosen, Function<String, String> environment, LocalDateTime now,
            long pid) {
        if (chosen != null) {
            return chosen.toAbsolutePath();
        }
        String directory = environment.apply(DIRECTORY_VARIABLE);
        Path base = directory != null && !directory.isBlank() ? Path.of(directory)
                : Path.of(System.getProperty("user.home"), ".lockstep", "logs");
        return base.resolve(command + "-" + STAMP.format(now) + "-" + pid + ".log").toAbsolutePath();
    }

    /** A command that logs to a file of its own ({@link Lockstep} sets logging up before it runs). */
    interface LogsToFile {
        LogFileOption logFile();
    }
}
