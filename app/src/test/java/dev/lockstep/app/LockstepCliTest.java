package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line's surface: help, version, errors in the user's input. */
class LockstepCliTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = Lockstep.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void shouldPrintHelpWithOnlyWorkingCommands() {
        assertThat(run("--help")).isZero();

        assertThat(out.toString())
                .contains("Usage: lockstep")
                .contains("--version")
                .contains("--verbose")
                .contains("help");
    }

    @Test
    void shouldPrintVersion() {
        assertThat(run("--version")).isZero();

        assertThat(out.toString()).startsWith("lockstep ").contains("Java " + Runtime.version().feature());
    }

    @Test
    void shouldPrintEverySubcommandsHelp() {
        CommandLine cli = Lockstep.commandLine();
        for (String name : cli.getSubcommands().keySet()) {
            out.getBuffer().setLength(0);
            err.getBuffer().setLength(0);

            assertThat(run(name, "--help")).as("lockstep " + name + " --help: " + err).isZero();
            assertThat(out.toString()).as("lockstep " + name + " --help").contains("Usage: lockstep " + name);
        }
        assertThat(cli.getSubcommands()).containsKeys("run", "demo", "apply", "extract", "quarantine");
    }

    @Test
    void shouldRejectUnknownCommandWithUsageError() {
        assertThat(run("frobnicate")).isEqualTo(2);

        assertThat(err.toString()).contains("Unmatched argument").contains("frobnicate");
    }

    @Test
    void shouldSuggestTheClosestCommand() {
        assertThat(run("aply", "x.yaml")).isEqualTo(2);

        assertThat(err.toString()).contains("Did you mean").contains("apply");
    }
}
