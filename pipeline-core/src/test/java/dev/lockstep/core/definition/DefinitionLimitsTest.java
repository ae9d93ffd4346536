package dev.lockstep.core.definition;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files that are not definitions at all: reported as problems at a position, never as exceptions. */
class DefinitionLimitsTest {

    private final DefinitionParser parser = DefinitionParser.create();

    @Test
    void shouldRefuseAFileLargerThanADefinitionCanBe(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("huge.yaml");
        Files.write(file, new byte[DefinitionParser.MAX_FILE_BYTES + 1]);

        assertThat(parser.parse(file).problems()).singleElement().satisfies(p -> {
            assertThat(p.type()).isEqualTo(ProblemType.FILE_TOO_LARGE);
            assertThat(p.format()).endsWith("huge.yaml:1:1: the file is 4194305 bytes; a definition may be at most "
                    + "4194304 bytes");
        });
    }

    @Test
    void shouldPointAtTheFirstByteThatIsNotUtf8(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("latin1.yaml");
        Files.write(file, "pipeline: shop\nsource: caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));

        assertThat(parser.parse(file).problems()).singleElement().satisfies(p -> {
            assertThat(p.type()).isEqualTo(ProblemType.NOT_UTF8);
            assertThat(p.location().line()).isEqualTo(2);
            assertThat(p.location().column()).isEqualTo(12);
            assertThat(p.message()).contains("0xE9");
        });
    }

    @Test
    void shouldReportMissingFilesAndDirectories(@TempDir Path directory) {
        assertThat(parser.parse(directory.resolve("nope.yaml")).problems()).singleElement()
                .satisfies(p -> assertThat(p.message()).isEqualTo("no such file"));
        assertThat(parser.parse(directory).problems()).singleElement()
                .satisfies(p -> assertThat(p.type()).isEqualTo(ProblemType.FILE_UNREADABLE));
    }

    @Test
    void shouldStopAtAHundredThousandAliasedNodes() {
        StringBuilder yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int i = 1; i < 12; i++) {
            yaml.append("a").append(i).append(": &a").append(i).append(" [")
                    .append(("*a" + (i - 1) + ", ").repeat(9)).append("*a").append(i - 1).append("]\n");
        }

        assertThat(parser.parse("bomb.yaml", yaml.toString()).problems()).singleElement()
                .satisfies(p -> assertThat(p.type()).isEqualTo(ProblemType.ALIAS_LIMIT));
    }

    @Test
    void shouldRefuseNestingDeeperThanSixtyFourLevels() {
        String yaml = "pipeline: " + "{a: ".repeat(5000) + "1" + "}".repeat(5000) + "\n";

        assertThat(parser.parse("deep.yaml", yaml).problems()).singleElement()
                .satisfies(p -> assertThat(p.type()).isEqualTo(ProblemType.TOO_DEEP));
    }

    @Test
    void shouldCapTheNumberOfProblemsReported() {
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            yaml.append("unknown_").append(i).append(": 1\n");
        }

        var problems = parser.parse("noise.yaml", yaml.toString()).problems();

        assertThat(problems).hasSize(501);
        assertThat(problems.get(500).message()).contains("more problems not shown");
    }

    @Test
    void shouldReadAByteOrderMark() {
        String yaml = "\uFEFFpipeline: shop\nsource: {}\nwarehouse: {}\n";

        assertThat(parser.parse("bom.yaml", yaml).problems()).extracting(Problem::type)
                .doesNotContain(ProblemType.YAML_SYNTAX, ProblemType.UNKNOWN_KEY);
    }
}
