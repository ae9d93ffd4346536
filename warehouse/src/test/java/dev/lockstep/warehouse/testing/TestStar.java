package dev.lockstep.warehouse.testing;

import dev.lockstep.core.definition.live.ReplicaIdentity;
import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.embedded.testing.ServicesExtension;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The star schema the applier's tests share — not the example shop, but a small order book made for them: its
 * source tables (customers, categories, products, orders with a {@code total}, order items with a {@code pack_size}
 * that can divide by zero; no NOT NULL but the keys, no foreign keys), its definition
 * ({@code definitions/test-star.yaml}) and rows of each table.
 *
 * <p>The tables are described here once, as the source's catalog describes them; their DDL is written from that
 * description, for the tests that stream from a real source (runtime's {@code ApplyConsistencyIT} checks that the
 * catalog describes them so).
 */
public final class TestStar {

    /** The source tables, by id, as {@code PostgresSourceCatalog} describes them. */
    public static final Map<TableId, SourceTable> TABLES = tables(
            table("public.customers", "id bigint", "name text", "email text", "city text"),
            table("public.categories", "id integer", "name text"),
            table("public.products", "id bigint", "name text", "category_id integer", "price numeric(10,2)"),
            table("public.orders", "id bigint", "customer_id bigint", "created_at timestamp with time zone",
                    "total numeric(12,2)"),
            table("public.order_items", "id bigint", "order_id bigint", "product_id bigint", "quantity integer",
                    "unit_price numeric(10,2)", "pack_size integer"));

    private TestStar() {}

    /** Returns the {@code CREATE TABLE} statement of each source table, in the public schema. */
    public static List<String> ddl() {
        List<String> statements = new ArrayList<>();
        for (SourceTable table : TABLES.values()) {
            statements.add("CREATE TABLE " + table.id().table() + " (" + table.columns().stream()
                    .map(c -> c.name() + " " + c.type()).collect(Collectors.joining(", "))
                    + ", PRIMARY KEY (" + String.join(", ", table.primaryKey()) + "))");
        }
        return statements;
    }

    /** Creates the source tables in database {@code source}. */
    public static void createSourceTables(ServicesExtension services, String source) throws SQLException {
        services.execute(source, ddl().toArray(String[]::new));
    }

    /** Writes the star-schema definition for the test services as {@code <pipeline>.yaml} and returns its file. */
    public static Path definition(Path dir, ServicesExtension services, String pipeline, String source,
            String warehouse, String schema) throws IOException {
        Path file = dir.resolve(pipeline + ".yaml");
        Files.writeString(file, resource("/definitions/test-star.yaml").replace("@PIPELINE@", pipeline)
                .replace("@PORT@", String.valueOf(services.port(source))).replace("@SOURCE@", services.database(source))
                .replace("@WAREHOUSE@", services.database(warehouse)).replace("@USER@", services.user())
                .replace("@SCHEMA@", schema));
        return file;
    }

    /** A row of {@code public.customers}. */
    public static Map<String, Object> customer(long id, String name, String email, String city) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.put("name", name);
        row.put("email", email);
        row.put("city", city);
        return row;
    }

    /** A row of {@code public.products}. */
    public static Map<String, Object> product(long id, String name, int category, String price) {
        return Map.of("id", id, "name", name, "category_id", category, "price", new BigDecimal(price));
    }

    /** A row of {@code public.orders}; {@code createdAt} is an instant ({@code 2026-01-10T10:00:00Z}). */
    public static Map<String, Object> order(long id, long customer, String createdAt, String total) {
        return Map.of("id", id, "customer_id", customer, "created_at", Instant.parse(createdAt), "total",
                new BigDecimal(total));
    }

    /** A row of {@code public.order_items}. */
    public static Map<String, Object> item(long id, long order, long product, int quantity, String unitPrice,
            int packSize) {
        return Map.of("id", id, "order_id", order, "product_id", product, "quantity", quantity, "unit_price",
                new BigDecimal(unitPrice), "pack_size", packSize);
    }

    /** A table whose first column is its primary key; columns are {@code "name type"}, typed as PostgreSQL formats. */
    private static SourceTable table(String name, String... columns) {
        List<SourceColumn> described = new ArrayList<>();
        for (String column : columns) {
            String columnName = column.substring(0, column.indexOf(' '));
            String type = column.substring(column.indexOf(' ') + 1);
            described.add(new SourceColumn(columnName, type, SourceColumn.Kind.BASE, type, described.isEmpty()));
        }
        List<String> key = List.of(described.get(0).name());
        return new SourceTable(TableId.parse(name), true, "table", described, key,
                new ReplicaIdentity(ReplicaIdentity.Mode.DEFAULT, key));
    }

    private static Map<TableId, SourceTable> tables(SourceTable... tables) {
        Map<TableId, SourceTable> byId = new LinkedHashMap<>();
        for (SourceTable table : tables) {
            byId.put(table.id(), table);
        }
        return Collections.unmodifiableMap(byId);
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = TestStar.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
