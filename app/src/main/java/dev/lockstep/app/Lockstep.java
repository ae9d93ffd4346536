package dev.lockstep.app;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/** The {@code lockstep} command line: the entry point of the jar. */
@Command(
        name = "lockstep",
        mixinStandardHelpOptions = true,
        // --help and --version on every subcommand too (`lockstep demo --help`).
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = VersionProvider.class,
        description = "CDC pipeline and ETL engine: PostgreSQL changes, in commit order through Kafka, "
                + "into a star-schema warehouse with quality rules.",
        subcommands = {ValidateCommand.class, PlanCommand.class, DeployCommand.class, RollbackCommand.class,
            RunCommand.class,
            DemoCommand.class, StatusCommand.class, ReconcileCommand.class, ExtractCommand.class, ApplyCommand.class,
            ResnapshotCommand.class, UndeployCommand.class, QuarantineCommand.class, AlertsCommand.class,
            CommandLine.HelpCommand.class})
public final class Lockstep implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    VerbosityOption verbosity;

    /** Runs the CLI and exits the JVM with its exit code. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit code; never exits the JVM. */
    public static int execute(String... args) {
        CommandLine cli = commandLine();
        return cli.execute(args);
    }

    /** Returns the configured command line, for tests and the launcher. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Lockstep());
        cli.setExecutionStrategy(Lockstep::executeWithLogging);
        cli.setExecutionExceptionHandler(new ErrorReporter());
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Sets logging up for the command about to run: a command that runs for long ({@link LogFileOption.LogsToFile})
     * logs to a file, named on its first line of output; asking for help or the version writes no file.
     */
    private static int executeWithLogging(ParseResult parseResult) {
        ParseResult command = parseResult;
        boolean help = false;
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            help |= p.isUsageHelpRequested() || p.isVersionHelpRequested();
            command = p;
        }
        Path file = null;
        if (!help && command.commandSpec().userObject() instanceof LogFileOption.LogsToFile logs) {
            file = logs.logFile().resolve(command.commandSpec().name());
        }
        Logging.configure(VerbosityOption.levelOf(parseResult), file);
        if (file != null) {
            command.commandSpec().commandLine().getOut().println("Log file: " + file);
        }
        return new CommandLine.RunLast().execute(parseResult);
    }

    /** Maps Lockstep's errors to exit codes; the stack trace only with {@code --verbose}. */
    static final class ErrorReporter implements IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cli, ParseResult parseResult) {
            PrintWriter err = cli.getErr();
            boolean verbose = VerbosityOption.levelOf(parseResult) > 0;
            if (e instanceof LockstepException lockstep) {
                err.println(cli.getColorScheme().errorText("error: " + lockstep.getMessage()));
                if (verbose) {
                    e.printStackTrace(err);
                }
                return lockstep.code().exitCode();
            }
            err.println(cli.getColorScheme().errorText("internal error: " + e));
            if (verbose) {
                e.printStackTrace(err);
            } else {
                err.println("Run again with --verbose for the stack trace.");
            }
            return ErrorCode.INTERNAL.exitCode();
        }
    }
}
