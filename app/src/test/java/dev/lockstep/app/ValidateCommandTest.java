package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code lockstep validate} offline: exit codes, positions, formats. */
class ValidateCommandTest {

    private static final Path ROOT = Path.of(System.getProperty("lockstep.root", "..")).toAbsolutePath().normalize();
    private static final Path SHOP = ROOT.resolve("examples/shop/pipeline.yaml");

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = Lockstep.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void shouldAcceptTheShopExample() {
        assertThat(run("validate", SHOP.toString())).isZero();

        assertThat(out.toString()).isEqualTo(SHOP + ": valid (pipeline shop: 3 dimensions, 1 fact, "
                + "10 quality rules)" + System.lineSeparator());
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void shouldPrintEveryErrorWithItsPositionAndExitTwo(@TempDir Path directory) throws Exception {
        Path broken = directory.resolve("shop.yaml");
        Files.writeString(broken, Files.readString(SHOP).replace("scd: 2 ", "scd: 3 ")
                .replace("    measures:", "    measure:"));

        assertThat(run("validate", broken.toString())).isEqualTo(2);

        assertThat(err.toString().lines()).containsExactly(
                broken + ":" + lineOf(broken, "scd: 3") + ":10: dimensions.customer.scd: 3 is not allowed; use 1 or 2",
                broken + ":" + lineOf(broken, "measure:") + ":5: facts.order_line.measure: unknown key `measure`; did "
                        + "you mean `measures`? allowed here: from, grain, lookup, dimensions, measures, "
                        + "renamed_from, partition_by, on_delete",
                "2 errors, 0 warnings");
        assertThat(err.toString()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void shouldWriteOneJsonDocument(@TempDir Path directory) throws Exception {
        Path broken = directory.resolve("shop.yaml");
        Files.writeString(broken, Files.readString(SHOP).replace("max_lag: 5m", "max_lag: 5 minutes"));

        assertThat(run("validate", "--format", "json", SHOP.toString(), broken.toString())).isEqualTo(2);

        JsonNode json = new ObjectMapper().readTree(out.toString());
        assertThat(json.get("valid").asBoolean()).isFalse();
        assertThat(json.at("/files/0/valid").asBoolean()).isTrue();
        assertThat(json.at("/files/0/pipeline").asText()).isEqualTo("shop");
        JsonNode problem = json.at("/files/1/problems/0");
        assertThat(problem.get("line").asInt()).isEqualTo(lineOf(broken, "max_lag: 5 minutes"));
        String line = Files.readAllLines(broken).get(lineOf(broken, "max_lag: 5 minutes") - 1);
        assertThat(problem.get("column").asInt()).isEqualTo(line.indexOf("5 minutes") + 1);
        assertThat(problem.get("path").asText()).isEqualTo("quality[8].max_lag");
        assertThat(problem.get("code").asText()).isEqualTo("invalid_duration");
        assertThat(problem.get("level").asText()).isEqualTo("error");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void shouldRefuseTwoFilesForOnePipeline(@TempDir Path directory) throws Exception {
        Path copy = directory.resolve("copy.yaml");
        Files.copy(SHOP, copy);

        assertThat(run("validate", SHOP.toString(), copy.toString())).isEqualTo(2);

        assertThat(err.toString()).contains(copy + ":" + lineOf(copy, "pipeline: shop") + ":1: pipeline: pipeline "
                + "`shop` is also defined in " + SHOP);
    }

    @Test
    void shouldReportAMissingFileAsInvalidInput(@TempDir Path directory) {
        assertThat(run("validate", directory.resolve("nope.yaml").toString())).isEqualTo(2);

        assertThat(err.toString()).startsWith(directory.resolve("nope.yaml") + ":1:1: no such file");
    }

    private static int lineOf(Path file, String text) throws java.io.IOException {
        java.util.List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i + 1;
            }
        }
        throw new AssertionError(text + " not in " + file);
    }

    @Test
    void shouldListValidateInTheHelp() {
        assertThat(run("--help")).isZero();

        assertThat(out.toString()).contains("validate");
    }
}
