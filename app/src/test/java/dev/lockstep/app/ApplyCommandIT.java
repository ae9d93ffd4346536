package dev.lockstep.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.lockstep.connectors.ExtractSettings;
import dev.lockstep.connectors.PostgresCdcSource;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.embedded.testing.ChildJvm;
import dev.lockstep.embedded.testing.ServicesExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code lockstep apply FILE} migrates the warehouse and keeps its raw layer equal to the source until stopped. */
class ApplyCommandIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    @Test
    void shouldMirrorSourceIntoRawLayerUntilStoppedAndResume(@TempDir Path dir) throws Exception {
        String source = services.database("stock");
        String warehouse = services.database("dw");
        sql("stock", "CREATE TABLE stock (sku text PRIMARY KEY, quantity int NOT NULL)",
                "INSERT INTO stock VALUES ('a', 1), ('b', 2)");
        String url = services.jdbcUrl("stock");
        String port = url.substring(url.lastIndexOf(':') + 1, url.lastIndexOf('/'));
        Path definition = dir.resolve("stock.yaml");
        Files.writeString(definition, """
                pipeline: stock
                source:
                  postgres: { host: localhost, port: %s, database: %s, user: %s }
                  tables: [stock]
                warehouse:
                  postgres: { host: localhost, port: %s, database: %s, user: %s }
                  schema: stock_dw
                """.formatted(port, source, services.user(), port, warehouse, services.user()));
        ExtractSettings settings = ExtractSettings.of("stock", "localhost", Integer.parseInt(port), source,
                services.user(), services.password(), List.of(TableId.parse("public.stock")),
                services.bootstrapServers());

        try (PostgresCdcSource extract = new PostgresCdcSource(settings).start()) {
            try (ChildJvm apply = startApply(definition)) {
                await().atMost(Duration.ofMinutes(1)).until(() -> rows("dw",
                        "SELECT sku || '=' || quantity FROM stock_dw_raw.stock WHERE NOT _deleted ORDER BY sku")
                        .equals(List.of("a=1", "b=2")));
                apply.stop(Duration.ofMinutes(1));
                assertThat(apply.output()).anyMatch(l -> l.contains("Stopped pipeline stock's apply at"));
            }
            sql("stock", "UPDATE stock SET quantity = 5 WHERE sku = 'a'", "DELETE FROM stock WHERE sku = 'b'");
            try (ChildJvm apply = startApply(definition)) {
                await().atMost(Duration.ofMinutes(1)).until(() -> rows("dw",
                        "SELECT sku || '=' || quantity || ':' || _deleted FROM stock_dw_raw.stock ORDER BY sku")
                        .equals(List.of("a=5:false", "b=2:true")));
            }
        }
        assertThat(rows("dw", "SELECT count(*) FROM stock_dw.flyway_schema_history WHERE success AND version = '1'"))
                .as("the raw layer migrated once, not again on the second run").containsExactly("1");
    }

    private static ChildJvm startApply(Path definition) {
        ChildJvm apply = ChildJvm.of(Lockstep.class)
                .args("apply", definition.toString(), "--kafka", services.bootstrapServers()).heap("384m").start();
        apply.awaitLine(l -> l.startsWith("Applying pipeline stock to stock_dw_raw"), Duration.ofMinutes(2));
        return apply;
    }

    private static List<String> rows(String database, String query) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = services.connect(database); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static void sql(String database, String... statements) throws Exception {
        try (Connection c = services.connect(database); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }
}
