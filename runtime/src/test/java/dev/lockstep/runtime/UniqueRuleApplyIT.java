package dev.lockstep.runtime;

import static dev.lockstep.warehouse.testing.TestStar.customer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.envelope.KafkaSchemaStore;
import dev.lockstep.core.testing.ChangeEnvelopes;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.migrations.DeploymentState;
import dev.lockstep.warehouse.testing.TestStar;
import dev.lockstep.warehouse.testing.TestWarehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code unique} with {@code deduplicate} (its default): the current owner keeps a value, else the key that came
 * first in the stream; the others go to quarantine as duplicates — within a batch and across batches; an update or
 * a delete releases a value, which another key can then claim.
 */
class UniqueRuleApplyIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    static final String PIPELINE = "uniqueit";

    @Test
    void shouldKeepOneKeyPerValueAndReleaseValuesOnUpdateAndDelete(@TempDir Path dir) throws Exception {
        TestStar.createSourceTables(services, "usrc");
        services.database("udw");
        Path file = TestStar.definition(dir, services, PIPELINE, "usrc", "udw", "star_dw");
        Files.writeString(file, Files.readString(file) + """
                quality:
                  - { rule: unique, target: customer, columns: [email] }
                """);
        String withoutRule = Files.readString(file).substring(0, Files.readString(file).indexOf("quality:"));
        WarehouseDeployment deployment = WarehouseDeployment.deploy(file);
        assertThat(ruleIndexes()).as("the rule's probe is an index lookup").singleElement().asString()
                .contains("lockstep_rule_").contains("(email) WHERE (is_current AND (NOT is_deleted))");
        Instant t = Instant.parse("2026-06-01T10:00:00Z");
        try (ChangeEnvelopes envelopes = ChangeEnvelopes.open(services.bootstrapServers(), PIPELINE,
                deployment.tables()); KafkaSchemaStore store = KafkaSchemaStore.open(services.bootstrapServers())) {
            envelopes.snapshot(Map.of("public.customers", List.of(customer(1, "A", "a@x.org", "Oslo"),
                    customer(2, "B", "b@x.org", "Rome"))));
            TestWarehouse.applyAll(services, "udw", PIPELINE, deployment.star(), store);

            // Against the warehouse: 1 owns a@x.org (the rule sees lower(email), as the dimension has it).
            envelopes.begin(t).insert("public.customers", customer(3, "C", "A@x.org", "Oslo")).commit();
            TestWarehouse.applyAll(services, "udw", PIPELINE, deployment.star(), store);
            // Within one batch: 4 came first.
            envelopes.begin(t.plusSeconds(1)).insert("public.customers",
                    customer(4, "D", "c@x.org", "Oslo")).commit();
            envelopes.begin(t.plusSeconds(2)).insert("public.customers",
                    customer(5, "E", "c@x.org", "Oslo")).commit();
            TestWarehouse.applyAll(services, "udw", PIPELINE, deployment.star(), store);
            // An update releases a value in the same batch that claims it.
            envelopes.begin(t.plusSeconds(3)).update("public.customers",
                    customer(1, "A", "z@x.org", "Oslo")).insert("public.customers",
                    customer(6, "F", "a@x.org", "Oslo")).commit();
            TestWarehouse.applyAll(services, "udw", PIPELINE, deployment.star(), store);
            // A delete releases a value a later batch claims.
            envelopes.begin(t.plusSeconds(4)).delete("public.customers", Map.of("id", 2L)).commit();
            TestWarehouse.applyAll(services, "udw", PIPELINE, deployment.star(), store);
            envelopes.begin(t.plusSeconds(5)).insert("public.customers",
                    customer(7, "G", "b@x.org", "Oslo")).commit();
            TestWarehouse.applyAll(services, "udw", PIPELINE, deployment.star(), store);
        }

        assertThat(services.query("udw", "SELECT id || ' ' || email FROM star_dw.dim_customer WHERE is_current "
                + "AND NOT is_deleted AND customer_key <> -1 ORDER BY id"))
                .containsExactly("1 z@x.org", "4 c@x.org", "6 a@x.org", "7 b@x.org");
        assertThat(services.query("udw", "SELECT rule || ' ' || natural_key::text || ' ' || reason "
                + "FROM lockstep.quarantine ORDER BY quarantine_id")).containsExactly(
                "unique_customer_email {\"id\": 3} duplicate of email held by another key",
                "unique_customer_email {\"id\": 5} duplicate of email held by another key");

        Files.writeString(file, withoutRule);
        // A rule dropped: a new version with no warehouse migration but the index's drop, done at once.
        assertThat(Deployer.deploy(file, Deployer.Options.of("it")).state()).isEqualTo(DeploymentState.DONE);
        assertThat(ruleIndexes()).isEmpty();
    }

    private static List<String> ruleIndexes() throws Exception {
        return services.query("udw", "SELECT indexdef FROM pg_indexes WHERE schemaname = 'star_dw' AND "
                + "starts_with(indexname, 'lockstep_rule_')");
    }
}
