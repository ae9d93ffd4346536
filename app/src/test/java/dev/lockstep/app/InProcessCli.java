package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** {@code lockstep <args>} run in the test's JVM: its exit code and everything it printed (both streams). */
record InProcessCli(int exit, String output) {

    static InProcessCli run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = Lockstep.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        int exit = cli.execute(args);
        return new InProcessCli(exit, out.toString());
    }

    /** Runs {@code lockstep <args>}, asserts it exits with 0 and returns what it printed. */
    static String succeed(String... args) {
        InProcessCli run = run(args);
        assertThat(run.exit()).as(String.join(" ", args) + "\n" + run.output()).isZero();
        return run.output();
    }
}
