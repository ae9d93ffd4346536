package dev.lockstep.app;

import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --fault-deadline}: how long a command that runs a stage waits out an unreachable system. */
final class FaultDeadlineOption {

    @Option(names = "--fault-deadline", paramLabel = "DURATION", defaultValue = "PT5M",
            description = "How long the source database, Kafka or the warehouse may stay unreachable: meanwhile the "
                    + "stage that needs it pauses and retries, resuming from what was committed; past it, the "
                    + "command stops with exit code 3 (ISO-8601, e.g. PT30S). Default: 5 min.")
    Duration value;
}
