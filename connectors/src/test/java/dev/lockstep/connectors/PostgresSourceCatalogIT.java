package dev.lockstep.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.core.ErrorCode;
import dev.lockstep.core.LockstepException;
import dev.lockstep.core.definition.SourcePostgres;
import dev.lockstep.core.definition.live.ReplicaIdentity;
import dev.lockstep.core.definition.live.SourceColumn;
import dev.lockstep.core.definition.live.SourceTable;
import dev.lockstep.core.stream.TableId;
import dev.lockstep.embedded.testing.ServicesExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The source catalog as {@code validate --connect} reads it, from a real PostgreSQL. */
class PostgresSourceCatalogIT {

    @RegisterExtension
    static final ServicesExtension services = new ServicesExtension();

    @BeforeAll
    static void createTables() throws Exception {
        try (Connection c = services.connect("source"); Statement s = c.createStatement()) {
            s.execute("""
                    CREATE TYPE status AS ENUM ('open', 'closed');
                    CREATE DOMAIN email AS varchar(200);
                    CREATE TABLE accounts (region text, no int, status status, contact email, tags status[],
                        amount numeric(12, 2), PRIMARY KEY (region, no));
                    CREATE TABLE events (id bigint NOT NULL, at timestamptz);
                    CREATE UNIQUE INDEX events_id ON events (id);
                    ALTER TABLE events REPLICA IDENTITY USING INDEX events_id;
                    CREATE TABLE log (line text);
                    ALTER TABLE log REPLICA IDENTITY FULL;
                    CREATE VIEW open_accounts AS SELECT * FROM accounts WHERE status = 'open';
                    """);
        }
    }

    private static PostgresSourceCatalog catalog() {
        return PostgresSourceCatalog.connect(new SourcePostgres(Optional.of(services.jdbcUrl("source")),
                Optional.empty(), 5432, Optional.empty(), services.user(), Optional.empty(), "s", "p"));
    }

    @Test
    void shouldDescribeColumnsKeysAndReplicaIdentity() {
        try (PostgresSourceCatalog catalog = catalog()) {
            Map<TableId, SourceTable> tables = catalog.describe(List.of(new TableId("public", "accounts"),
                    new TableId("public", "events"), new TableId("public", "log"),
                    new TableId("public", "open_accounts"), new TableId("public", "missing")));

            assertThat(tables).containsOnlyKeys(new TableId("public", "accounts"), new TableId("public", "events"),
                    new TableId("public", "log"), new TableId("public", "open_accounts"));
            SourceTable accounts = tables.get(new TableId("public", "accounts"));
            assertThat(accounts.table()).isTrue();
            assertThat(accounts.primaryKey()).containsExactly("region", "no");
            assertThat(accounts.columns()).containsExactly(
                    new SourceColumn("region", "text", SourceColumn.Kind.BASE, "text", true),
                    new SourceColumn("no", "integer", SourceColumn.Kind.BASE, "integer", true),
                    new SourceColumn("status", "status", SourceColumn.Kind.ENUM, "status", false),
                    new SourceColumn("contact", "email", SourceColumn.Kind.DOMAIN, "character varying(200)", false),
                    new SourceColumn("tags", "status[]", SourceColumn.Kind.ARRAY, "text[]", false),
                    new SourceColumn("amount", "numeric(12,2)", SourceColumn.Kind.BASE, "numeric(12,2)", false));
            assertThat(tables.get(new TableId("public", "events")).replicaIdentity())
                    .isEqualTo(new ReplicaIdentity(ReplicaIdentity.Mode.INDEX, List.of("id")));
            assertThat(tables.get(new TableId("public", "log")).replicaIdentity().mode())
                    .isEqualTo(ReplicaIdentity.Mode.FULL);
            SourceTable view = tables.get(new TableId("public", "open_accounts"));
            assertThat(view.table()).isFalse();
            assertThat(view.relationKind()).isEqualTo("view");
            assertThat(catalog.walLevel()).isEqualTo("logical");
        }
    }

    @Test
    void shouldNameTheDatabaseButNeverThePasswordWhenItCannotConnect() {
        SourcePostgres unreachable = new SourcePostgres(Optional.empty(), Optional.of("127.0.0.1"), 1,
                Optional.of("shop"), "lockstep", Optional.of(dev.lockstep.core.definition.Secret.fromEnvironment(
                        "PW", "s3cr3t")), "s", "p");

        assertThatThrownBy(() -> PostgresSourceCatalog.connect(unreachable))
                .isInstanceOfSatisfying(LockstepException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
                .hasMessageStartingWith("cannot connect to the source database lockstep@127.0.0.1:1/shop")
                .message().doesNotContain("s3cr3t");
    }
}
