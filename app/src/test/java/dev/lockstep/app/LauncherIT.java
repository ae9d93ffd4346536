package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The ./lockstep launcher at the repository root runs the packaged jar, as a user would. */
class LauncherIT {

    private static final Path ROOT = Path.of(System.getProperty("lockstep.root", "..")).toAbsolutePath().normalize();

    @Test
    void shouldPrintVersionThroughLauncher() throws Exception {
        Result result = launch("--version");

        assertThat(result.exitCode).isZero();
        assertThat(result.stdout).startsWith("lockstep 0.1.0-SNAPSHOT");
    }

    @Test
    void shouldPrintHelpThroughLauncher() throws Exception {
        Result result = launch("--help");

        assertThat(result.exitCode).isZero();
        assertThat(result.stdout).contains("Usage: lockstep").contains("--verbose");
    }

    @Test
    void shouldExitWithUsageErrorForUnknownCommand() throws Exception {
        Result result = launch("no-such-command");

        assertThat(result.exitCode).isEqualTo(2);
        assertThat(result.stderr).contains("no-such-command");
    }

    private record Result(int exitCode, String stdout, String stderr) {}

    private static Result launch(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(ROOT.resolve("lockstep").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(ROOT.toFile()).start();
        process.getOutputStream().close();
        var stdout = process.getInputStream().readAllBytes();
        var stderr = process.getErrorStream().readAllBytes();
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        return new Result(process.exitValue(), new String(stdout, StandardCharsets.UTF_8),
                new String(stderr, StandardCharsets.UTF_8));
    }
}
