package dev.lockstep.app;

import dev.lockstep.control.ApplyLease;
import dev.lockstep.control.QuarantineStore;
import dev.lockstep.control.ReplayStore;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.WarehousePostgres;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.runtime.PipelineFiles;
import dev.lockstep.runtime.PostgresConnections;
import dev.lockstep.runtime.WarehouseDeployment;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code lockstep quarantine}: the rows of a pipeline that did not reach the warehouse — diverted by a rule, failed
 * at run time, or undecodable — from the append-only ledger {@code lockstep.quarantine}. PII is shown masked, as
 * the ledger holds it.
 */
@Command(name = "quarantine", description = "List, show, replay and discard the rows a pipeline diverted to its "
        + "quarantine ledger (lockstep.quarantine).",
        subcommands = {QuarantineCommand.ListRows.class, QuarantineCommand.Show.class, QuarantineCommand.Replay.class,
            QuarantineCommand.Discard.class})
final class QuarantineCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Opens the warehouse of {@code definition}. */
    static Connection connect(PipelineDefinition definition) throws SQLException {
        WarehousePostgres warehouse = definition.warehouse().postgres();
        return PostgresConnections.open(warehouse, "lockstep quarantine " + definition.pipeline());
    }

    @Command(name = "list", description = "List quarantined rows, newest last: open ones unless --all.")
    static final class ListRows implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        DefinitionFileOption definitionFile;

        @Option(names = "--all", description = "Also rows already replayed or discarded.")
        boolean all;

        @Option(names = "--limit", defaultValue = "100", description = "At most this many rows (default ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() throws SQLException {
            PipelineDefinition definition = PipelineFiles.load(definitionFile.file);
            PrintWriter out = spec.commandLine().getOut();
            try (Connection c = connect(definition)) {
                List<QuarantineStore.Listed> rows = new QuarantineStore(c, definition.pipeline()).list(all, limit);
                out.printf("%-8s %-19s %-9s %-13s %-24s %-14s %-20s %s%n", "ID", "CREATED", "STATUS", "CAUSE", "RULE",
                        "TARGET", "KEY", "REASON");
                for (QuarantineStore.Listed row : rows) {
                    out.printf("%-8d %-19s %-9s %-13s %-24s %-14s %-20s %s%n", row.id(),
                            row.createdAt().toString().substring(0, 19).replace('T', ' '), row.status(), row.cause(),
                            row.rule().orElse("-"), row.target().orElse("-"), row.naturalKey().orElse("-"),
                            row.reason());
                }
                out.printf("%d row(s)%s%n", rows.size(), all ? "" : " open");
            }
            return 0;
        }
    }

    @Command(name = "show", description = "Show one quarantined row with everything the ledger holds (PII masked).")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        DefinitionFileOption definitionFile;

        @Parameters(paramLabel = "ID", index = "1", description = "The row's quarantine id (see list).")
        long id;

        @Override
        public Integer call() throws SQLException {
            PipelineDefinition definition = PipelineFiles.load(definitionFile.file);
            PrintWriter out = spec.commandLine().getOut();
            try (Connection c = connect(definition)) {
                Map<String, Object> row = new QuarantineStore(c, definition.pipeline()).show(id).orElseThrow(() ->
                        new LockstepException(ErrorCode.INVALID_INPUT, "pipeline " + definition.pipeline()
                                + " has no quarantined row " + id));
                row.forEach((label, value) -> out.printf("%-19s %s%n", label + ":", value));
            }
            return 0;
        }
    }

    @Command(name = "replay", description = "Re-check open quarantined rows with the current rules, after the source "
            + "or the definition was fixed, and load those that now pass — exactly once, and never over a newer change "
            + "of the same key (such rows are marked superseded). Undecodable records are decoded again (e.g. once "
            + "their schema is in the schema store). The pipeline's running apply serves the request between two "
            + "batches; when none runs, this command does.")
    static final class Replay implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        PipelineFileOptions pipeline;

        @Parameters(paramLabel = "ID", index = "1..*", arity = "0..*", description = "Quarantine ids (see list).")
        List<Long> ids = List.of();

        @Option(names = "--target", description = "Every open row of this dimension or fact.")
        String target;

        @Option(names = "--rule", description = "Every open row this rule diverted.")
        String rule;

        @Option(names = "--all", description = "Every open row of the pipeline.")
        boolean all;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
                description = "How long to wait for the running apply to serve the request (default ${DEFAULT-VALUE}).")
        int timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            if (ids.isEmpty() && target == null && rule == null && !all) {
                throw new LockstepException(ErrorCode.INVALID_INPUT, "name the rows to replay: quarantine ids, "
                        + "--target, --rule, or --all");
            }
            PipelineDefinition definition = PipelineFiles.load(pipeline.file);
            try (Connection c = connect(definition)) {
                ReplayStore replays = new ReplayStore(c, definition.pipeline());
                long request = replays.request(ids, Optional.ofNullable(target), Optional.ofNullable(rule));
                if (ApplyLease.isFree(c, definition.pipeline())) {
                    serve(); // nobody else will
                }
                return report(replays, request);
            }
        }

        private void serve() throws SQLException {
            WarehouseDeployment deployment = WarehouseDeployment.deploy(pipeline.file);
            PipelineDefinition definition = deployment.definition();
            try (Connection connection = connect(definition);
                    KafkaSchemaStore store = KafkaSchemaStore.open(pipeline.kafka.bootstrapServers)) {
                WarehouseApplier.open(connection, definition.pipeline(), definition.warehouse().schema(),
                        deployment.tables(), deployment.version(), definition.load().batchSize(),
                        Optional.of(deployment.star())).serveReplays(new EnvelopeCodec(store));
            }
        }

        private int report(ReplayStore replays, long request) throws SQLException, InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
            while (true) {
                ReplayStore.Outcome outcome = replays.outcome(request);
                if (outcome.done() && outcome.failure().isPresent()) {
                    throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "replay " + request + " failed and was "
                            + "rolled back: " + outcome.failure().get());
                }
                if (outcome.done()) {
                    spec.commandLine().getOut().printf("Replay %d: %d row(s) loaded, %d diverted again (new ledger "
                            + "rows), %d superseded by a newer change of their key, %d still undecodable.%n", request,
                            outcome.loaded(), outcome.diverted(), outcome.superseded(), outcome.undecodable());
                    return 0;
                }
                if (System.nanoTime() > deadline) {
                    throw new LockstepException(ErrorCode.UNAVAILABLE, "replay request " + request + " is still "
                            + "pending after " + timeoutSeconds + " s: the running apply serves it between two "
                            + "batches (is it stuck? see lockstep status); it stays queued");
                }
                Thread.sleep(200); // polling a row another process updates; no condition to wait on here
            }
        }
    }

    @Command(name = "discard", description = "Mark open quarantined rows discarded (the ledger keeps them).")
    static final class Discard implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        DefinitionFileOption definitionFile;

        @Parameters(paramLabel = "ID", index = "1..*", arity = "1..*", description = "Quarantine ids (see list).")
        List<Long> ids;

        @Override
        public Integer call() throws SQLException {
            PipelineDefinition definition = PipelineFiles.load(definitionFile.file);
            try (Connection c = connect(definition)) {
                int discarded = new QuarantineStore(c, definition.pipeline()).discard(ids);
                spec.commandLine().getOut().printf("Discarded %d of %d row(s)%s.%n", discarded, ids.size(),
                        discarded < ids.size() ? " (the others are not open rows of pipeline " + definition.pipeline()
                                + ")" : "");
                return discarded == ids.size() ? 0 : 2;
            }
        }
    }
}
