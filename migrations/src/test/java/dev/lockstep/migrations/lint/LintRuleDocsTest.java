package dev.lockstep.migrations.lint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The rules' documentation is generated from their declarations and cannot drift from them. */
class LintRuleDocsTest {

    @Test
    void shouldListEveryRuleOnceInTheMarkdownTable() {
        String table = LintRule.markdownTable();

        assertThat(table.lines()).hasSize(LintRule.values().length + 2);
        Arrays.stream(LintRule.values()).forEach(rule -> assertThat(table).containsOnlyOnce("| `" + rule.id() + "` |"));
        assertThat(table).contains("| `unparsed-statement` | warning |");
    }

    @Test
    void shouldKeepDocsInSyncWithTheRuleDeclarations() throws IOException {
        Path docs = Path.of(System.getProperty("lockstep.root", "..")).resolve("docs/migrations.md");

        String text = Files.readString(docs);

        assertThat(text).as(docs + " between <!-- lint-rules:start --> and <!-- lint-rules:end -->; regenerate it "
                + "from LintRule.markdownTable()").contains("<!-- lint-rules:start -->\n" + LintRule.markdownTable()
                + "<!-- lint-rules:end -->");
    }

    @Test
    void shouldGiveEveryRuleAKebabCaseIdAnExplanationAndAnAlternative() {
        for (LintRule rule : LintRule.values()) {
            assertThat(rule.id()).matches("[a-z]+(-[a-z0-9]+)*");
            assertThat(rule.explanation()).isNotBlank();
            assertThat(rule.safeAlternative()).isNotBlank();
            assertThat(LintRule.byId(rule.id())).contains(rule);
        }
    }
}
