package dev.lockstep.warehouse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lockstep.core.definition.WarehousePostgres;
import dev.lockstep.core.definition.live.ExpressionProbe;
import dev.lockstep.core.definition.live.ReplicaIdentity;
import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.definition.live.TypeCheck;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.embedded.testing.ServicesExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Expressions typed by a real warehouse PostgreSQL, over relations shaped like the raw layer, leaving nothing behind. */
class PostgresExpressionTypeCheckerIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    private static final SourceTable ORDERS = new SourceTable(new TableId("shop", "orders"), true, "table", List.of(
            new SourceColumn("id", "bigint", SourceColumn.Kind.BASE, "bigint", true),
            new SourceColumn("status", "order_status", SourceColumn.Kind.ENUM, "order_status", true),
            new SourceColumn("total", "numeric(10,2)", SourceColumn.Kind.BASE, "numeric(10,2)", false),
            new SourceColumn("customer_id", "bigint", SourceColumn.Kind.BASE, "bigint", false)),
            List.of("id"), new ReplicaIdentity(ReplicaIdentity.Mode.DEFAULT, List.of("id")));
    private static final SourceTable CUSTOMERS = new SourceTable(new TableId("shop", "customers"), true, "table",
            List.of(new SourceColumn("id", "bigint", SourceColumn.Kind.BASE, "bigint", true),
                    new SourceColumn("name", "text", SourceColumn.Kind.BASE, "text", false)),
            List.of("id"), new ReplicaIdentity(ReplicaIdentity.Mode.DEFAULT, List.of("id")));

    private static PostgresExpressionTypeChecker checker() {
        PostgresExpressionTypeChecker checker = PostgresExpressionTypeChecker.connect(new WarehousePostgres(
                Optional.of(services.jdbcUrl("warehouse")), Optional.empty(), 5432, Optional.empty(), services.user(),
                Optional.empty()));
        checker.declareSourceTable(ORDERS);
        checker.declareSourceTable(CUSTOMERS);
        return checker;
    }

    private static ExpressionProbe probe(String sql) {
        return new ExpressionProbe(sql, "shop.orders", "orders", List.of(
                new ExpressionProbe.Join("cust", "shop.customers", "id", "orders", "customer_id")));
    }

    @Test
    void shouldTypeExpressionsOverTheRawLayersShapeWithLookups() {
        try (PostgresExpressionTypeChecker checker = checker()) {
            assertThat(checker.typeOf(probe("round(total * 1.2, 2)"))).isEqualTo(TypeCheck.typed("numeric"));
            assertThat(checker.typeOf(probe("status"))).as("enums are text in the raw layer")
                    .isEqualTo(TypeCheck.typed("text"));
            assertThat(checker.typeOf(probe("upper(cust.name) || orders.id"))).isEqualTo(TypeCheck.typed("text"));
            assertThat(checker.typeOf(probe("total"))).isEqualTo(TypeCheck.typed("numeric(10,2)"));
            assertThat(checker.serverVersion()).startsWith("PostgreSQL ");
        }
    }

    @Test
    void shouldReturnPostgresErrorsWithTheirPositionInTheExpression() {
        try (PostgresExpressionTypeChecker checker = checker()) {
            TypeCheck check = checker.typeOf(probe("total + cust.name"));

            assertThat(check.type()).isEmpty();
            assertThat(check.error()).hasValueSatisfying(error -> {
                assertThat(error.message()).isEqualTo("operator does not exist: numeric + text");
                assertThat(error.sqlState()).isEqualTo("42883");
                assertThat(error.position()).isEqualTo(7);
                assertThat(error.hint()).isPresent();
            });
            assertThat(checker.typeOf(probe("nosuch + 1")).error()).hasValueSatisfying(
                    error -> assertThat(error.message()).contains("column \"nosuch\" does not exist"));
            assertThat(checker.typeOf(probe("1")).type()).as("the transaction survives errors").contains("integer");
        }
    }

    @Test
    void shouldCheckRegularExpressionsAndDeclaredRelations() {
        try (PostgresExpressionTypeChecker checker = checker()) {
            checker.declareRelation("target order", Map.of("amount", "numeric", "late", "boolean"));

            assertThat(checker.checkRegex("^[a-z]+$")).isEmpty();
            assertThat(checker.checkRegex("([a-z]")).hasValueSatisfying(
                    error -> assertThat(error.message()).contains("invalid regular expression"));
            assertThat(checker.typeOf(new ExpressionProbe("amount > 0 and late", "target order", "t", List.of())))
                    .isEqualTo(TypeCheck.typed("boolean"));
        }
    }

    @Test
    void shouldTypeOverTheColumnsARelationWasLastDeclaredWith() {
        // A deployment plan types two versions with one checker: a target's relation may come back with other columns.
        ExpressionProbe doubled = new ExpressionProbe("amount * 2", "target order", "t", List.of());
        try (PostgresExpressionTypeChecker checker = checker()) {
            checker.declareRelation("target order", Map.of("amount", "numeric"));
            assertThat(checker.typeOf(doubled)).isEqualTo(TypeCheck.typed("numeric"));

            checker.declareRelation("target order", Map.of("amount", "integer"));
            assertThat(checker.typeOf(doubled)).isEqualTo(TypeCheck.typed("integer"));

            checker.declareRelation("target order", Map.of("amount", "numeric"));
            assertThat(checker.typeOf(doubled)).isEqualTo(TypeCheck.typed("numeric"));
            assertThat(checker.typeOf(new ExpressionProbe("amount * 'x'", "target order", "t", List.of())).error())
                    .hasValueSatisfying(error -> assertThat(error.message()).contains("invalid input syntax"));
        }
    }

    @Test
    void shouldLeaveNothingBehind() throws Exception {
        try (PostgresExpressionTypeChecker checker = checker()) {
            checker.typeOf(probe("total"));
        }

        try (Connection c = services.connect("warehouse"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_class WHERE relname LIKE 'lockstep_probe%'")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
    }
}
