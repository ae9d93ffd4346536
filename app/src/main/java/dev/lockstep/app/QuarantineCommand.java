package dev.lockstep.app;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.WarehousePostgres;
import dev.lockstep.runtime.PipelineFiles;
import dev.lockstep.runtime.PostgresConnections;
import dev.lockstep.runtime.WarehouseDeployment;
import java.io.PrintWriter;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import dev.lockstep.core.envelope.EnvelopeCodec;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.warehouse.apply.WarehouseApplier;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

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
            try (Connection c = connect(definition); PreparedStatement ps = c.prepareStatement("SELECT * FROM (SELECT "
                    + "quarantine_id, created_at, status, cause, coalesce(rule, '-'), coalesce(target, '-'), "
                    + "coalesce(natural_key::text, '-'), reason FROM lockstep.quarantine WHERE pipeline = ? "
                    + "AND (? OR status = 'open') ORDER BY quarantine_id DESC LIMIT ?) q ORDER BY quarantine_id")) {
                ps.setString(1, definition.pipeline());
                ps.setBoolean(2, all);
                ps.setInt(3, limit);
                out.printf("%-8s %-19s %-9s %-13s %-24s %-14s %-20s %s%n", "ID", "CREATED", "STATUS", "CAUSE", "RULE",
                        "TARGET", "KEY", "REASON");
                int rows = 0;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows++;
                        out.printf("%-8d %-19s %-9s %-13s %-24s %-14s %-20s %s%n", rs.getLong(1),
                                rs.getTimestamp(2).toInstant().toString().substring(0, 19).replace('T', ' '),
                                rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7),
                                rs.getString(8));
                    }
                }
                out.printf("%d row(s)%s%n", rows, all ? "" : " open");
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
            try (Connection c = connect(definition); PreparedStatement ps = c.prepareStatement("SELECT event_id, status, "
                    + "cause, rule, target, source_table, natural_key::text, commit_lsn, sequence, definition_version, "
                    + "reason, sql_state, jsonb_pretty(conformed_row), raw_record IS NOT NULL, kafka_offset, created_at, "
                    + "resolved_at FROM lockstep.quarantine WHERE pipeline = ? AND quarantine_id = ?")) {
                ps.setString(1, definition.pipeline());
                ps.setLong(2, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new LockstepException(ErrorCode.INVALID_INPUT, "pipeline " + definition.pipeline()
                                + " has no quarantined row " + id);
                    }
                    String[] labels = {"event id", "status", "cause", "rule", "target", "source table", "key",
                        "commit lsn", "sequence", "definition version", "reason", "sql state", "conformed row",
                        "raw record kept", "kafka offset", "created at", "resolved at"};
                    for (int i = 0; i < labels.length; i++) {
                        Object value = rs.getObject(i + 1);
                        if (value != null) {
                            out.printf("%-19s %s%n", labels[i] + ":", value);
                        }
                    }
                }
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
            long request;
            try (Connection c = connect(definition)) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO lockstep.quarantine_replays (pipeline, "
                        + "quarantine_ids, target, rule) VALUES (?, ?, ?, ?) RETURNING replay_id")) {
                    ps.setString(1, definition.pipeline());
                    ps.setArray(2, ids.isEmpty() ? null : c.createArrayOf("bigint", ids.toArray()));
                    ps.setString(3, target);
                    ps.setString(4, rule);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        request = rs.getLong(1);
                    }
                }
                if (applyIsIdle(c, definition.pipeline())) {
                    serve(); // nobody else will
                }
                return report(c, request);
            }
        }

        private static boolean applyIsIdle(Connection c, String pipeline) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(hashtext('lockstep.apply'), "
                    + "hashtext(?)), pg_advisory_unlock_all()")) {
                ps.setString(1, pipeline);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() && rs.getBoolean(1);
                }
            }
        }

        private void serve() throws SQLException {
            WarehouseDeployment deployment = WarehouseDeployment.deploy(pipeline.file);
            PipelineDefinition definition = deployment.definition();
            try (Connection connection = connect(definition);
                    KafkaSchemaStore store = KafkaSchemaStore.open(pipeline.kafka.bootstrapServers)) {
                WarehouseApplier.open(connection, definition.pipeline(), definition.warehouse().schema(),
                        deployment.tables(), WarehouseDeployment.VERSION, definition.load().batchSize(),
                        Optional.of(deployment.star())).serveReplays(new EnvelopeCodec(store));
            }
        }

        private int report(Connection c, long request) throws SQLException, InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
            try (PreparedStatement ps = c.prepareStatement("SELECT done_at IS NOT NULL, loaded, diverted, superseded, "
                    + "undecodable, message FROM lockstep.quarantine_replays WHERE replay_id = ?")) {
                ps.setLong(1, request);
                while (true) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getBoolean(1) && rs.getString(6) != null) {
                            throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "replay " + request + " failed "
                                    + "and was rolled back: " + rs.getString(6));
                        }
                        if (rs.getBoolean(1)) {
                            spec.commandLine().getOut().printf("Replay %d: %d row(s) loaded, %d diverted again (new "
                                    + "ledger rows), %d superseded by a newer change of their key, %d still "
                                    + "undecodable.%n", request, rs.getInt(2), rs.getInt(3), rs.getInt(4), rs.getInt(5));
                            return 0;
                        }
                    }
                    if (System.nanoTime() > deadline) {
                        throw new LockstepException(ErrorCode.UNAVAILABLE, "replay request " + request + " is still "
                                + "pending after " + timeoutSeconds + " s: the running apply serves it between "
                                + "two batches (is it stuck? see lockstep status); it stays queued");
                    }
                    Thread.sleep(200); // polling a row another process updates; no condition to wait on here
                }
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
            try (Connection c = connect(definition); PreparedStatement ps = c.prepareStatement("UPDATE lockstep.quarantine "
                    + "SET status = 'discarded', resolved_at = now(), relayed_at = NULL WHERE pipeline = ? "
                    + "AND quarantine_id = ANY(?) AND status = 'open'")) {
                ps.setString(1, definition.pipeline());
                Array array = c.createArrayOf("bigint", ids.toArray());
                ps.setArray(2, array);
                int discarded = ps.executeUpdate();
                spec.commandLine().getOut().printf("Discarded %d of %d row(s)%s.%n", discarded, ids.size(),
                        discarded < ids.size() ? " (the others are not open rows of pipeline " + definition.pipeline()
                                + ")" : "");
                return discarded == ids.size() ? 0 : 2;
            }
        }
    }
}
