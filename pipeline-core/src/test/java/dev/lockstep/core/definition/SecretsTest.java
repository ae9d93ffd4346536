package dev.lockstep.core.definition;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Secret values never appear in any output: toString, problems, the model. */
class SecretsTest {

    private static final Map<String, String> ENV = Map.of(
            "SHOP_DB_PASSWORD", "hunter2-s3cr3t",
            "SLACK_WEBHOOK", "https://hooks.slack.com/services/T0/B0/tok3n-s3cr3t",
            "SOURCE_URL", "postgres://admin:pw-s3cr3t@db.internal/shop",
            "SCHEMA", "Bad-s3cr3t");

    private static final String DEFINITION = """
            pipeline: shop
            source:
              postgres: { url: "${SOURCE_URL}", user: lockstep, password: "${SHOP_DB_PASSWORD}" }
              tables: [public.customers]
            warehouse:
              postgres: { url: "jdbc:postgresql://dw/warehouse?password=pw-s3cr3t", user: lockstep }
              schema: ${SCHEMA}
            alerts: { webhooks: ["${SLACK_WEBHOOK}"] }
            """;

    @Test
    void shouldNeverRepeatAnInterpolatedValueInAProblem() {
        ParsedDefinition parsed = DefinitionParser.create().withEnvironment(ENV::get).parse("shop.yaml", DEFINITION);

        assertThat(parsed.problems()).extracting(Problem::path).containsExactly("source.postgres.url",
                "warehouse.schema");
        assertThat(parsed.problems()).allSatisfy(p -> assertThat(p.format()).doesNotContain("s3cr3t"));
        assertThat(parsed.problems().get(0).message()).contains("${SOURCE_URL}").contains("resolved value not shown");
    }

    @Test
    void shouldMaskSecretsInTheModel() {
        String valid = DEFINITION.replace("${SOURCE_URL}", "jdbc:postgresql://db.internal/shop")
                .replace("schema: ${SCHEMA}", "schema: shop_dw");

        PipelineDefinition definition = DefinitionParser.create().withEnvironment(ENV::get).parse("shop.yaml", valid)
                .definition().orElseThrow();

        assertThat(definition.toString()).doesNotContain("s3cr3t").contains("******");
        assertThat(definition.source().postgres().password().orElseThrow().reveal()).isEqualTo("hunter2-s3cr3t");
        assertThat(definition.alerts().webhooks().get(0).reveal()).contains("tok3n-s3cr3t");
        assertThat(definition.warehouse().postgres().describe()).isEqualTo("lockstep@dw/warehouse");
    }

    @Test
    void shouldRefuseAPasswordWrittenInTheDefinitionWithoutRepeatingIt() {
        ParsedDefinition parsed = DefinitionParser.create().parse("shop.yaml",
                DEFINITION.replace("\"${SHOP_DB_PASSWORD}\"", "hunter2-s3cr3t"));

        assertThat(parsed.problems()).filteredOn(p -> p.type() == ProblemType.LITERAL_SECRET).singleElement()
                .satisfies(p -> assertThat(p.format()).doesNotContain("s3cr3t"));
    }

    @Test
    void shouldReadAFileSecretOnlyWhenRevealed(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("shop.yaml");
        Files.writeString(file, DEFINITION.replace("\"${SHOP_DB_PASSWORD}\"", "{ file: db_password }")
                .replace("${SOURCE_URL}", "jdbc:postgresql://db.internal/shop").replace("${SCHEMA}", "shop_dw"));

        Secret secret = DefinitionParser.create().withEnvironment(ENV::get).parse(file).definition().orElseThrow()
                .source().postgres().password().orElseThrow();
        Files.writeString(directory.resolve("db_password"), "from-file-s3cr3t\n");

        assertThat(secret.toString()).isEqualTo("****** (file " + directory.resolve("db_password") + ")");
        assertThat(secret.reveal()).isEqualTo("from-file-s3cr3t");
    }

    @Test
    void shouldCompareSecretsByOriginNotByValue() {
        assertThat(Secret.fromEnvironment("A", "one")).isEqualTo(Secret.fromEnvironment("A", "two"))
                .isNotEqualTo(Secret.fromEnvironment("B", "one"));
    }
}
