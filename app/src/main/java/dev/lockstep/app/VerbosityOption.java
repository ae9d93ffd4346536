package dev.lockstep.app;

import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;

/** {@code -v/--verbose}, repeatable, accepted by every command. */
final class VerbosityOption {

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Show more: -v for Lockstep's debug output and stack traces, -vv for every library's.")
    boolean[] verbose = new boolean[0];

    /** Returns how many times -v was given on any command of the parse result. */
    static int levelOf(ParseResult parseResult) {
        int level = 0;
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                level = Math.max(level, p.matchedOption("--verbose").<boolean[]>getValue().length);
            }
        }
        return level;
    }
}
