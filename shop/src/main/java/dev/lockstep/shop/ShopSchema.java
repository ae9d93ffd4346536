package dev.lockstep.shop;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The shop's OLTP schema, the one source of {@code examples/shop/pipeline.yaml}: customers, categories, products,
 * orders and their items, with foreign keys, money as {@code numeric}, times as {@code timestamptz} and the order
 * status as an enum — the file {@code dev/lockstep/shop/schema.sql} of this module.
 */
public final class ShopSchema {

    /** The shop's tables, as the definition's {@code source.tables} lists them. */
    public static final List<String> TABLES = List.of("public.customers", "public.categories", "public.products",
            "public.orders", "public.order_items");

    private static final String RESOURCE = "schema.sql";

    private ShopSchema() {}

    /** Returns the schema's DDL: SQL statements separated by semicolons, with comments. */
    public static String ddl() {
        try (InputStream in = ShopSchema.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the shop's schema is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the shop's schema", e);
        }
    }

    /** Creates the schema, without rows, in the connection's database (public schema), in its current transaction. */
    public static void create(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(ddl());
        }
    }
}
