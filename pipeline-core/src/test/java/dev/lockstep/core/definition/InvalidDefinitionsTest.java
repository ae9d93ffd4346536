package dev.lockstep.core.definition;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each file under {@code definitions/invalid/} ends with the problems it must produce, exactly and in order:
 * {@code # expect: line:column: [code] path: message}.
 */
class InvalidDefinitionsTest {

    private static final Pattern CODE = Pattern.compile("^\\d+:\\d+: \\[([a-z_0-9]+)]");

    static Stream<Path> invalidDefinitions() {
        return Fixtures.files("invalid");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidDefinitions")
    void shouldReportExactlyTheExpectedProblemsAtTheirPositions(Path fixture) {
        ParsedDefinition parsed = Fixtures.parse(fixture);

        assertThat(Fixtures.tagged(fixture, "expect")).as("the fixture's expectations").isNotEmpty();
        assertThat(parsed.problems()).extracting(Fixtures::expectation)
                .containsExactlyElementsOf(Fixtures.tagged(fixture, "expect"));
        assertThat(parsed.isValid()).isFalse();
        assertThat(parsed.definition()).isEmpty();
    }

    @Test
    void shouldCoverAtLeastThirtyDistinctKindsOfErrors() {
        Set<String> codes = new TreeSet<>();
        invalidDefinitions().flatMap(f -> Fixtures.tagged(f, "expect").stream()).forEach(expectation -> {
            Matcher m = CODE.matcher(expectation);
            assertThat(m.find()).as(expectation).isTrue();
            codes.add(m.group(1));
        });

        assertThat(codes).hasSizeGreaterThanOrEqualTo(30);
    }

    @Test
    void shouldFormatProblemsAsFileLineColumnPathAndMessage() {
        ParsedDefinition parsed = DefinitionParser.create().parse(
                Fixtures.directory("invalid").resolve("scd-not-allowed.yaml"));

        assertThat(parsed.problems()).singleElement().extracting(Problem::format).asString()
                .endsWith("scd-not-allowed.yaml:12:10: dimensions.customer.scd: 3 is not allowed; use 1 or 2");
    }

    @Test
    void shouldSortProblemsByPositionWhateverOrderTheChecksFindThemIn() {
        ParsedDefinition parsed = Fixtures.parse(Fixtures.directory("invalid").resolve("duplicate-name.yaml"));

        assertThat(parsed.problems()).isSortedAccordingTo((a, b) -> a.location().compareTo(b.location()));
    }
}
