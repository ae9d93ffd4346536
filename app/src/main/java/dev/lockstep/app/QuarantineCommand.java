package dev.lockstep.app;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Secret;
import dev.lockstep.core.definition.WarehousePostgres;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
@Command(name = "quarantine", description = "List, show and discard the rows a pipeline diverted to its quarantine "
        + "ledger (lockstep.quarantine). Replaying rows is not available yet.",
        subcommands = {QuarantineCommand.ListRows.class, QuarantineCommand.Show.class, QuarantineCommand.Discard.class})
final class QuarantineCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Opens the warehouse of the pipeline defined in {@code file}. */
    static Connection connect(Path file) throws SQLException {
        WarehousePostgres warehouse = PipelineFiles.load(file).warehouse().postgres();
        return DriverManager.getConnection(warehouse.jdbcUrl(), warehouse.user(),
                warehouse.password().map(Secret::reveal).orElse(""));
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
            try (Connection c = connect(definitionFile.file); PreparedStatement ps = c.prepareStatement("SELECT * FROM (SELECT "
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
            try (Connection c = connect(definitionFile.file); PreparedStatement ps = c.prepareStatement("SELECT event_id, status, "
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
            try (Connection c = connect(definitionFile.file); PreparedStatement ps = c.prepareStatement("UPDATE lockstep.quarantine "
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
