package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.embedded.testing.ChildJvm;
import dev.lockstep.embedded.testing.ServicesExtension;
import dev.lockstep.runtime.WarehouseDeployment;
import dev.lockstep.shop.ShopDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code lockstep plan} and {@code lockstep deploy} of the shop example against a real source and warehouse: a
 * first deployment, the deployed definition again, a changed one (its operations, SQL, rebuilds, lint, the objects
 * it would break, hand-written migrations; its dry-run on the live warehouse), a refused and an invalid one — and
 * the warehouse is the same after each but the first deployment.
 */
class PlanAndDeployCommandsIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    @TempDir
    static Path directory;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeAll
    static void createTheShop() throws Exception {
        try (Connection c = services.connect("plansrc")) {
            new ShopDatabase(20, 10, 10).create(c);
        }
        services.database("plandw");
        services.database("refusedw");
        services.database("drydw");
        services.database("killdw");
        Files.writeString(directory.resolve("password"), services.password());
    }

    @Test
    void shouldPlanAFirstDeploymentThenNothingThenTheChangesOfAnEditedDefinition() throws Exception {
        String shop = ShopRuns.pointedAt(services, "plansrc", "plandw");
        Path file = write("shop.yaml", shop);

        assertThat(plan(file)).as(err.toString()).isEqualTo(PlanCommand.CHANGES_PENDING);
        assertThat(out.toString()).contains("Plan for pipeline shop: first deployment")
                .contains("V1__raw_layer.sql:").contains("V2__star_schema.sql:")
                .contains("CREATE TABLE \"shop_dw\".\"dim_customer\"")
                .contains("Lint: 0 error(s)");
        assertThat(services.query("plandw", "SELECT to_regnamespace('lockstep') IS NULL")).containsExactly("t");

        WarehouseDeployment.deploy(file);
        out.getBuffer().setLength(0);
        assertThat(plan(file)).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("Plan for pipeline shop: no changes from deployed version 1.");

        String changed = shop
                .replace("      signup_date: created_at::date\n", "      email_domain: split_part(email, '@', 2)\n")
                .replace("      unit_price: unit_price\n", "      price_each: unit_price\n")
                .replace("    partition_by: date", "    renamed_from: { price_each: unit_price }\n    partition_by: date")
                .replace("round(quantity * unit_price * (1 - coalesce(discount_pct, 0) / 100.0), 2)",
                        "round(quantity * unit_price, 2)");
        Path edited = write("edited.yaml", changed);
        out.getBuffer().setLength(0);

        assertThat(plan(edited)).as(out + "\n" + err).isEqualTo(PlanCommand.CHANGES_PENDING);
        String plan = out.toString();
        assertThat(plan).contains("Plan for pipeline shop: deployed version 1 → " + edited)
                .containsPattern("REBUILD +customer\\.email_domain: ADD_ATTRIBUTE")
                .containsPattern("DESTRUCTIVE +customer\\.signup_date: DROP_ATTRIBUTE")
                .containsPattern("ADDITIVE +order_line\\.price_each: RENAME_MEASURE")
                .containsPattern("REBUILD +order_line\\.amount: CHANGE_EXPRESSION")
                .contains("Expand (V3__expand.sql, before the rebuild):")
                .contains("ALTER TABLE \"shop_dw\".\"dim_customer\" ADD COLUMN \"_ls_next_email_domain\" text;")
                .containsPattern("ALTER TABLE \"shop_dw\"\\.\"fact_order_line\" ADD COLUMN \"_ls_next_price_each\" "
                        + "numeric")
                .contains("Switch (V4__switch.sql, one transaction: the rebuilt columns take their names):")
                .contains("ALTER TABLE \"shop_dw\".\"fact_order_line\" RENAME COLUMN \"amount\" TO "
                        + "\"_ls_prev_amount\";")
                .contains("Contract (V5__contract.sql, after the switch):")
                .contains("ALTER TABLE \"shop_dw\".\"dim_customer\" DROP COLUMN \"signup_date\";")
                .contains("ALTER TABLE \"shop_dw\".\"fact_order_line\" DROP COLUMN \"unit_price\";")
                .contains("ALTER TABLE \"shop_dw\".\"dim_customer\" ADD COLUMN \"signup_date\" date;")
                .contains("Rebuild from the raw layer")
                .contains("shop_dw.dim_customer.email_domain (into _ls_next_email_domain): ~")
                .contains("shop_dw.fact_order_line.amount (into _ls_next_amount): ~")
                .contains("Lint: 0 error(s)")
                .contains("Changes pending. Nothing was changed.");

        // A view of the user's on a column the plan drops: the deployment would break it, so it is refused.
        services.execute("plandw", "CREATE VIEW public.signups AS SELECT signup_date, count(*) FROM "
                + "shop_dw.dim_customer GROUP BY 1");
        out.getBuffer().setLength(0);
        assertThat(plan(edited)).as(out + "\n" + err).isEqualTo(2);
        assertThat(out.toString()).contains("view public.signups depends on shop_dw.dim_customer.signup_date, which "
                + "is dropped").contains("The deployment would be refused");

        // A hand-written migration of the same deployment that drops the view handles it.
        Path handWritten = Files.createDirectories(directory.resolve("hw"));
        Files.writeString(handWritten.resolve("V1__drop_signups.sql"), "SET lock_timeout = '5s';\n"
                + "DROP VIEW public.signups;\n");
        Files.writeString(handWritten.resolve("U1__drop_signups.sql"), "CREATE VIEW public.signups AS SELECT "
                + "signup_date, count(*) FROM shop_dw.dim_customer GROUP BY 1;\n");
        Path withMigrations = write("with-migrations.yaml", ShopRuns.replaceLine(changed, "schema: shop_dw",
                "schema: shop_dw\n  migrations: hw"));
        out.getBuffer().setLength(0);
        assertThat(plan(withMigrations)).as(out + "\n" + err).isEqualTo(PlanCommand.CHANGES_PENDING);
        assertThat(out.toString()).contains("Hand-written V1__drop_signups.sql (after the switch, before contract):")
                .contains("DROP VIEW public.signups;").doesNotContain("depends on").contains("Lint: 0 error(s)");
        services.execute("plandw", "DROP VIEW public.signups");

        assertThat(services.query("plandw", "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                + "'shop_dw' AND column_name IN ('email_domain', 'price_each')")).containsExactly("0");
        assertThat(services.query("plandw", "SELECT count(*) FROM lockstep.deployments")).containsExactly("1");
    }

    @Test
    void shouldRefuseAChangeOfGrainWithItsManualStepsAndReportAnInvalidDefinition() throws Exception {
        String shop = ShopRuns.pointedAt(services, "plansrc", "refusedw");
        Path file = write("refused.yaml", shop);
        WarehouseDeployment.deploy(file);

        Path regrained = write("regrained.yaml", shop.replace("    grain: [id]", "    grain: [id, order_id]"));
        assertThat(plan(regrained)).as(err.toString()).isEqualTo(2);
        assertThat(out.toString()).containsPattern("REFUSED +order_line\\.grain: CHANGE_GRAIN")
                .contains("The deployment would be refused");

        // A type change is a shadow column renamed into place, not a rewrite of the table: no lint error.
        Path retyped = write("retyped.yaml", shop.replace("city: coalesce(city, 'Unknown')",
                "city: coalesce(city, 'Unknown')::varchar(80)"));
        out.getBuffer().setLength(0);
        assertThat(plan(retyped)).as(out + "\n" + err).isEqualTo(PlanCommand.CHANGES_PENDING);
        assertThat(out.toString()).contains("ADD COLUMN \"_ls_next_city\" character varying(80);")
                .contains("Lint: 0 error(s)");
        // A hand-written type change does rewrite it: a lint error, unless allowed with a reason.
        Path handWritten = Files.createDirectories(retyped.getParent().resolve("retype"));
        Files.writeString(handWritten.resolve("V1__retype_city.sql"), "SET lock_timeout = '5s';\n"
                + "ALTER TABLE shop_dw.dim_customer ALTER COLUMN city TYPE varchar(80);\n");
        Files.writeString(handWritten.resolve("U1__retype_city.sql"), "ALTER TABLE shop_dw.dim_customer ALTER COLUMN "
                + "city TYPE text;\n");
        Path byHand = write("by-hand.yaml", ShopRuns.replaceLine(shop, "schema: shop_dw",
                "schema: shop_dw\n  migrations: retype"));
        out.getBuffer().setLength(0);
        assertThat(plan(byHand)).as(out + "\n" + err).isEqualTo(2);
        assertThat(out.toString()).contains("error: changing-column-type");
        out.getBuffer().setLength(0);
        assertThat(run("plan", byHand.toString(), "--allow", "changing-column-type", "--reason", "80 customers"))
                .as(out + "\n" + err).isEqualTo(PlanCommand.CHANGES_PENDING);
        assertThat(out.toString()).contains("allowed (80 customers):");
        assertThat(run("plan", byHand.toString(), "--allow", "changing-type")).isEqualTo(2);
        assertThat(err.toString()).contains("each --allow RULE needs its --reason TEXT");
        assertThat(run("plan", byHand.toString(), "--allow", "changing-type", "--reason", "x")).isEqualTo(2);
        assertThat(err.toString()).contains("--allow changing-type: no such lint rule; known rules: ");

        Path invalid = write("invalid.yaml", shop.replace("scd: 2 ", "scd: 7 "));
        out.getBuffer().setLength(0);
        assertThat(plan(invalid)).isEqualTo(2);
        assertThat(err.toString()).contains("dimensions.customer.scd: 7 is not allowed");
        assertThat(services.query("refusedw", "SELECT count(*) FROM lockstep.deployments")).containsExactly("1");
    }

    @Test
    void shouldDeployAFirstVersionAndDryRunAChangeOnTheLiveWarehouseLeavingItUnchanged() throws Exception {
        String shop = ShopRuns.pointedAt(services, "plansrc", "drydw");
        Path file = write("dry.yaml", shop);
        assertThat(run("deploy", file.toString())).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("Pipeline shop: version 1 deployed, applied warehouse migration(s) "
                + "V[1, 2]");
        Path edited = write("dry-edited.yaml", shop.replace("      signup_date: created_at::date\n",
                "      email_domain: split_part(email, '@', 2)\n"));

        out.getBuffer().setLength(0);
        assertThat(run("deploy", edited.toString(), "--dry-run")).as(out + "\n" + err).isZero();
        assertThat(out.toString()).containsPattern("expand +\\d+ +[0-9.]+ ms ALTER TABLE \"shop_dw\"\\.\"dim_customer\" "
                        + "ADD COLUMN \"_ls_next_email_domain\" text")
                .containsPattern("switch +\\d+ +[0-9.]+ ms ALTER TABLE \"shop_dw\"\\.\"dim_customer\" RENAME COLUMN "
                        + "\"_ls_next_email_domain\" TO \"email_do")
                .contains("locks shop_dw.dim_customer: ACCESS EXCLUSIVE")
                .containsPattern("rebuild +1 +[0-9.]+ ms [0-9]+ row\\(s\\) of shop_dw\\.dim_customer\\.email_domain "
                        + "\\(a sample")
                .containsPattern("contract, down +\\d+ +[0-9.]+ ms ALTER TABLE \"shop_dw\"\\.\"dim_customer\" ADD COLUMN "
                        + "\"signup_date\" date")
                .contains("Passed; rolled back, the warehouse is unchanged.");
        assertThat(services.query("drydw", "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM "
                + "information_schema.columns WHERE table_schema = 'shop_dw' AND table_name = 'dim_customer' AND "
                + "column_name IN ('email_domain', 'signup_date')")).containsExactly("signup_date");

        // A reader holding a lock: the dry-run's ALTER waits no longer than --lock-timeout, and says so.
        try (Connection reader = services.connect("drydw")) {
            reader.setAutoCommit(false);
            reader.createStatement().execute("LOCK TABLE shop_dw.dim_customer IN ACCESS SHARE MODE");
            out.getBuffer().setLength(0);
            assertThat(run("deploy", edited.toString(), "--dry-run", "--lock-timeout", "PT0.2S"))
                    .as(out + "\n" + err).isEqualTo(3);
            assertThat(out.toString()).contains("Failed: expand, statement 1: ERROR: canceling statement due to lock "
                    + "timeout").contains("Rolled back; the warehouse is unchanged.");
            reader.rollback();
        }

        // Deployed: version 2, switched with the drop of signup_date pending; then contracted.
        out.getBuffer().setLength(0);
        assertThat(run("deploy", edited.toString(), "--operator", "ana")).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("Pipeline shop: version 2 switched, applied warehouse migration(s) V[3, 4]")
                .contains("Contract pending (run `lockstep deploy " + edited + " --contract`")
                .contains("ALTER TABLE \"shop_dw\".\"dim_customer\" DROP COLUMN \"signup_date\";");
        assertThat(services.query("drydw", "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM "
                + "information_schema.columns WHERE table_schema = 'shop_dw' AND table_name = 'dim_customer' AND "
                + "column_name IN ('email_domain', 'signup_date')")).containsExactly("email_domain,signup_date");
        out.getBuffer().setLength(0);
        assertThat(run("deploy", file.toString())).as("the older definition while version 2 is under way")
                .isEqualTo(4);
        assertThat(err.toString()).contains("deployment of version 2 is under way (switched)");
        out.getBuffer().setLength(0);
        assertThat(run("deploy", edited.toString(), "--contract")).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("Pipeline shop: version 2 deployed, applied warehouse migration(s) V[5]");
        assertThat(services.query("drydw", "SELECT version || ' ' || state || ' ' || coalesce(operator, '-') FROM "
                + "lockstep.deployments ORDER BY version")).containsExactly("1 done -", "2 done ana");
    }

    @Test
    void shouldResumeADeployKilledAtItsSwitch() throws Exception {
        String shop = ShopRuns.pointedAt(services, "plansrc", "killdw");
        Path file = write("kill.yaml", shop);
        assertThat(run("deploy", file.toString())).as(out + "\n" + err).isZero();
        Path edited = write("kill-edited.yaml", shop.replace("      signup_date: created_at::date\n",
                "      signup_date: created_at::date\n      email_domain: split_part(email, '@', 2)\n"));

        // Killed (the process halts, as kill -9 would stop it) after the rebuild, before the switch.
        try (ChildJvm deploy = ChildJvm.of(Lockstep.class).args("deploy", edited.toString()).heap("256m")
                .environment(DeploymentOptions.FAIL_POINT, "switch").start()) {
            assertThat(deploy.awaitExitCode(Duration.ofMinutes(2))).as(String.join("\n", deploy.output()))
                    .isEqualTo(137);
            assertThat(deploy.output()).anyMatch(l -> l.contains("halting at fail-point switch"));
        }
        assertThat(services.query("killdw", "SELECT version || ' ' || state FROM lockstep.deployments ORDER BY "
                + "version")).containsExactly("1 done", "2 rebuilding");
        assertThat(services.query("killdw", "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM "
                + "information_schema.columns WHERE table_name = 'dim_customer' AND column_name LIKE "
                + "'%email_domain'")).containsExactly("_ls_next_email_domain");
        out.getBuffer().setLength(0);
        assertThat(run("deploy", file.toString())).as("the older definition while version 2 is under way")
                .isEqualTo(4);

        assertThat(run("deploy", edited.toString())).as(out + "\n" + err).isZero();
        assertThat(out.toString()).contains("Pipeline shop: version 2 deployed");
        assertThat(services.query("killdw", "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM "
                + "information_schema.columns WHERE table_name = 'dim_customer' AND column_name LIKE "
                + "'%email_domain'")).containsExactly("email_domain");
        assertThat(services.query("killdw", "SELECT version || ' ' || state FROM lockstep.deployments ORDER BY "
                + "version")).containsExactly("1 done", "2 done");
    }

    private int run(String... args) {
        CommandLine cli = Lockstep.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    private int plan(Path file) {
        CommandLine cli = Lockstep.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute("plan", file.toString());
    }

    private static Path write(String name, String text) throws Exception {
        Path file = directory.resolve(name);
        Files.writeString(file, text);
        return file;
    }
}
