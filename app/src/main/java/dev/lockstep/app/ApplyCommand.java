package dev.lockstep.app;

import dev.lockstep.connectors.PostgresSourceCatalog;
import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.PipelineDefinition;
import dev.lockstep.core.definition.Secret;
import dev.lockstep.core.definition.WarehousePostgres;
import dev.lockstep.core.definition.connect.SourceTable;
import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.stream.ChangeStreamReader;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.migrations.WarehouseMigrations;
import dev.lockstep.warehouse.raw.RawLayerApplier;
import dev.lockstep.warehouse.raw.RawLayerDdl;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code lockstep apply}: runs the apply stage alone — today, the raw layer. */
@Command(name = "apply",
        description = "Apply the pipeline's change stream to the warehouse's raw layer (<schema>_raw: a current-state "
                + "mirror of each source table), exactly once, one warehouse transaction per batch of whole source "
                + "transactions. Creates the control schema and the raw layer first (Flyway). Runs until Ctrl-C. "
                + "Dimensions, facts and quality rules come with the next capabilities.")
final class ApplyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PipelineFileOptions pipeline;

    private volatile boolean running = true;

    @Override
    public Integer call() throws Exception {
        PipelineDefinition definition = PipelineFiles.load(pipeline.file);
        String text = Files.readString(pipeline.file, StandardCharsets.UTF_8);
        Map<TableId, SourceTable> tables = describeSource(definition);
        WarehousePostgres warehouse = definition.warehouse().postgres();
        String schema = definition.warehouse().schema();
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setUrl(warehouse.jdbcUrl());
        dataSource.setUser(warehouse.user());
        warehouse.password().map(Secret::reveal).ifPresent(dataSource::setPassword);
        WarehouseMigrations.Result migrated = WarehouseMigrations.builder().dataSource(dataSource)
                .pipeline(definition.pipeline()).warehouseSchema(schema).deployment(1, text, sha256(text)).build()
                .apply(List.of(RawLayerDdl.create(schema, tables.values(), 1)));
        if (!migrated.differing().isEmpty()) {
            throw new LockstepException(ErrorCode.PIPELINE_STOPPED, "the source tables' columns no longer match the "
                    + "raw layer created for pipeline " + definition.pipeline() + " (migration V"
                    + migrated.differing() + " would differ today); evolving the warehouse with the source is the "
                    + "migration coordinator's job, which has not landed yet");
        }

        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread stopper = new Thread(() -> {
            running = false;
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "lockstep-apply-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        try (Connection connection = connect(warehouse);
                KafkaSchemaStore store = KafkaSchemaStore.open(pipeline.kafka.bootstrapServers)) {
            RawLayerApplier applier = RawLayerApplier.open(connection, definition.pipeline(), schema, tables, 1,
                    definition.load().batchSize());
            try (ChangeStreamReader reader = ChangeStreamReader.open(pipeline.kafka.bootstrapServers,
                    definition.pipeline(), applier.nextOffset(), applier.applied(), store)) {
                out.printf("Applying pipeline %s to %s_raw (Ctrl-C to stop)%n", definition.pipeline(), schema);
                long lastPrint = 0;
                while (running) {
                    applier.applyOnce(reader, Duration.ofMillis(100));
                    if (System.nanoTime() - lastPrint > 1_000_000_000L) {
                        out.printf("\rapplied through %s, next offset %,d   ", applier.applied(), applier.nextOffset());
                        out.flush();
                        lastPrint = System.nanoTime();
                    }
                }
                out.printf("%nStopped pipeline %s's apply at %s; the next run resumes there.%n",
                        definition.pipeline(), applier.applied());
                out.flush();
            }
        } finally {
            stopped.countDown();
        }
        return 0;
    }

    private static Map<TableId, SourceTable> describeSource(PipelineDefinition definition) {
        try (PostgresSourceCatalog catalog = PostgresSourceCatalog.connect(definition.source().postgres())) {
            Map<TableId, SourceTable> tables = catalog.describe(definition.source().tables());
            List<TableId> missing = definition.source().tables().stream().filter(t -> !tables.containsKey(t)).toList();
            if (!missing.isEmpty()) {
                throw new LockstepException(ErrorCode.INVALID_INPUT, "source table(s) " + missing + " do not exist in "
                        + catalog.describeDatabase());
            }
            return tables;
        }
    }

    private static Connection connect(WarehousePostgres warehouse) throws SQLException {
        return DriverManager.getConnection(warehouse.jdbcUrl(), warehouse.user(),
                warehouse.password().map(Secret::reveal).orElse(""));
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
