package dev.lockstep.app;

import static dev.lockstep.warehouse.testing.TestStar.customer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.runtime.WarehouseDeployment;
import dev.lockstep.warehouse.testing.TestStar;
import dev.lockstep.warehouse.testing.TestWarehouse;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code lockstep quarantine list|show|discard} and {@code lockstep alerts} on a warehouse a rule diverted rows in. */
class QuarantineAndAlertsCommandIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "qcmdit";

    private final StringWriter out = new StringWriter();

    @Test
    void shouldListShowAndDiscardQuarantinedRowsAndPrintAlerts(@TempDir Path dir) throws Exception {
        TestStar.createSourceTables(services, "qsrc");
        services.database("qdw");
        Path file = TestStar.definition(dir, services, PIPELINE, "qsrc", "qdw", "star_dw");
        Files.writeString(file, Files.readString(file) + """
                quality:
                  - { rule: regex, name: capitalised, target: customer, columns: [name], pattern: '^[A-Z]' }
                """);
        WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), PIPELINE,
                deployment.tables()); KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            envelopes.snapshot(Map.of("public.customers", List.of(customer(1, "Ada", "a@x.org", "Oslo"),
                    customer(2, "bob", "bob@x.org", "Rome"))));
            TestWarehouse.applyAll(services, "qdw", PIPELINE, deployment.star(), store);
        }
        String id = services.query("qdw", "SELECT quarantine_id::text FROM lockstep.quarantine").get(0);

        assertThat(run("quarantine", "list", file.toString())).isZero();
        assertThat(out.toString()).contains("capitalised").contains("{\"id\": 2}").contains("name does not match ^[A-Z]")
                .contains("1 row(s) open");

        assertThat(run("quarantine", "show", file.toString(), id)).isZero();
        assertThat(out.toString()).contains("\"email\": \"***\"").doesNotContain("bob@x.org").contains("rule:")
                .contains("capitalised");

        assertThat(run("alerts", file.toString())).isZero();
        assertThat(out.toString()).contains("dev.lockstep.rule.breached").contains("capitalised")
                .contains("1 row(s) of customer failed rule capitalised");

        assertThat(run("quarantine", "discard", file.toString(), id, "999999")).isEqualTo(2);
        assertThat(out.toString()).contains("Discarded 1 of 2 row(s)");
        assertThat(run("quarantine", "list", file.toString())).isZero();
        assertThat(out.toString()).contains("0 row(s) open");
        assertThat(services.query("qdw", "SELECT status FROM lockstep.quarantine")).containsExactly("discarded");
    }

    private int run(String... args) {
        out.getBuffer().setLength(0);
        CommandLine cli = Lockstep.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        return cli.execute(args);
    }
}
