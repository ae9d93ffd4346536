package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.shop.ShopDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code lockstep validate --connect} of the shop example against a real source (the shop's schema) and warehouse. */
class ValidateConnectIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    @TempDir
    static Path directory;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void createTheShopSchema() throws Exception {
        try (Connection c = services.connect("shop")) {
            new ShopDatabase(10, 10, 1).create(c);
        }
        // Beside the shop, a table CDC cannot follow: no primary key, default replica identity.
        services.execute("shop", "CREATE TABLE audit_log (at timestamptz NOT NULL, message text)");
        services.database("warehouse");
        Files.writeString(directory.resolve("password"), services.password());
    }

    @Test
    void shouldTypeCheckTheShopExampleAndPrintEachDerivedColumnsType() throws Exception {
        Path definition = definition("shop.yaml", shop());

        assertThat(run("validate", "--connect", definition.toString())).as(err.toString()).isZero();

        assertThat(out.toString()).contains(definition + ": valid (pipeline shop: 3 dimensions, 1 fact, "
                        + "10 quality rules)")
                .contains("expressions type-checked in PostgreSQL ")
                .containsPattern("dim_customer\\.email +text")
                .containsPattern("dim_customer\\.signup_date +date")
                .containsPattern("dim_product\\.list_price +numeric\\(10,2\\)")
                .containsPattern("fact_order_line\\.quantity +integer")
                .containsPattern("fact_order_line\\.amount +numeric");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void shouldReportPostgresTypeErrorsAtTheirPositionInTheYaml() throws Exception {
        String broken = shop().replace("quantity: quantity", "quantity: quantity * ord.created_at");
        Path definition = definition("broken.yaml", broken);
        int line = lineOf(broken, "quantity * ord.created_at");
        int column = broken.lines().toList().get(line - 1).indexOf("* ord.created_at") + 1;

        assertThat(run("validate", "--connect", definition.toString())).isEqualTo(2);

        assertThat(err.toString()).contains(definition + ":" + line + ":" + column
                + ": facts.order_line.measures.quantity: PostgreSQL: operator does not exist: integer * timestamp "
                + "with time zone");
        assertThat(err.toString()).doesNotContain("\tat ");
    }

    @Test
    void shouldFindMissingColumnsTablesAndTablesWithoutRowIdentity() throws Exception {
        String broken = shop()
                .replace("    - public.order_items\n", "    - public.order_items\n    - public.audit_log\n"
                        + "    - public.refunds\n")
                .replace("      cat: { from: public.categories, on: category_id }",
                        "      cat: { from: public.categories, on: categoryid }");
        Path definition = definition("catalog.yaml", broken);

        assertThat(run("validate", "--connect", "--format", "json", definition.toString())).isEqualTo(2);

        assertThat(out.toString())
                .contains("\"code\" : \"no_row_identity\"")
                .contains("\"code\" : \"table_not_found\"")
                .contains("\"message\" : \"column `categoryid` does not exist in public.products; did you mean "
                        + "`category_id`? columns: id, name, sku, category_id, price\"");
    }

    @Test
    void shouldSkipTheDatabaseChecksWhileTheDefinitionHasErrors() throws Exception {
        Path definition = definition("invalid.yaml", shop().replace("scd: 2 ", "scd: 7 "));

        assertThat(run("validate", "--connect", definition.toString())).isEqualTo(2);

        assertThat(err.toString()).contains("dimensions.customer.scd: 7 is not allowed")
                .contains("--connect checks skipped until the errors above are fixed");
    }

    private int run(String... args) {
        CommandLine cli = Lockstep.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    /** The shop example, pointed at this class's databases, passwords from a file. */
    private static String shop() throws Exception {
        return ShopRuns.pointedAt(services, "shop", "warehouse");
    }

    private static Path definition(String name, String text) throws Exception {
        Path file = directory.resolve(name);
        Files.writeString(file, text);
        return file;
    }

    private static int lineOf(String text, String needle) {
        List<String> lines = text.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(needle)) {
                return i + 1;
            }
        }
        throw new AssertionError(needle + " not found");
    }
}
