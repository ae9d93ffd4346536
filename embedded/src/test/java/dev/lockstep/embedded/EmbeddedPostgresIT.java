package dev.lockstep.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lockstep.embedded.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded PostgreSQL itself: durable settings, logical WAL, lifecycle, restart in place, crash cleanup. */
class EmbeddedPostgresIT {

    @TempDir
    static Path base;

    static EmbeddedPostgres postgres;

    @BeforeAll
    static void start() {
        postgres = EmbeddedPostgres.builder().baseDirectory(base).databases("shop", "warehouse").build().start();
    }

    @AfterAll
    static void stop() {
        postgres.close();
    }

    @Test
    void shouldRunDurableWithLogicalWal() throws SQLException {
        assertThat(setting("fsync")).isEqualTo("on");
        assertThat(setting("synchronous_commit")).isEqualTo("on");
        assertThat(setting("wal_level")).isEqualTo("logical");
        assertThat(Integer.parseInt(setting("max_replication_slots"))).isGreaterThanOrEqualTo(10);
        assertThat(Integer.parseInt(setting("max_wal_senders"))).isGreaterThanOrEqualTo(10);
        assertThat(setting("server_version_num")).startsWith("17");
    }

    @Test
    void shouldCreateRequestedDatabases() throws SQLException {
        try (Connection c = postgres.connect("postgres"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT count(*) FROM pg_database WHERE datname IN ('shop', 'warehouse')")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(2);
        }
        postgres.createDatabase("shop");
    }

    @Test
    void shouldStartAndStopIdempotentlyAndRemoveItsDataDirectory(@TempDir Path own) {
        EmbeddedPostgres pg = EmbeddedPostgres.builder().baseDirectory(own).build();
        pg.stop();
        pg.start();
        pg.start();
        Path data = pg.dataDirectory();
        long pid = pg.serverPid();
        assertThat(data).isDirectory();

        pg.stop();
        pg.stop();

        assertThat(pg.isRunning()).isFalse();
        assertThat(data).doesNotExist();
        await("postmaster " + pid + " gone").atMost(Duration.ofSeconds(30))
                .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void shouldKeepDataSlotAndPortWhenRestartedInPlace(@TempDir Path own) throws SQLException {
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().baseDirectory(own).databases("shop").build().start()) {
            int port = pg.port();
            long pid = pg.serverPid();
            Path data = pg.dataDirectory();
            try (Connection c = pg.connect("shop"); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)");
                s.execute("INSERT INTO items VALUES (1, 'widget')");
                s.execute("SELECT pg_create_logical_replication_slot('restart_it', 'pgoutput')");
            }

            pg.stopKeepingData();
            pg.stopKeepingData();
            assertThat(pg.isRunning()).isFalse();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("old postmaster").isFalse();
            assertThat(data).isDirectory();
            assertThatThrownBy(() -> pg.connect("shop").close()).isInstanceOf(SQLException.class);
            assertThat(pg.jdbcUrl("shop")).as("the URL while stopped").endsWith(":" + port + "/shop");

            pg.start();
            assertThat(pg.port()).isEqualTo(port);
            assertThat(pg.serverPid()).isNotEqualTo(pid);
            assertThat(query(pg, "SELECT name FROM items WHERE id = 1")).isEqualTo("widget");
            assertThat(query(pg, "SELECT slot_name FROM pg_replication_slots")).isEqualTo("restart_it");
            assertThat(query(pg, "SHOW wal_level")).as("the server's settings, again").isEqualTo("logical");
            try (Connection c = pg.connect("shop"); Statement s = c.createStatement()) {
                s.execute("SELECT pg_drop_replication_slot('restart_it')");
            }

            pg.stop();
            assertThat(data).doesNotExist();
        }
    }

    private static String query(EmbeddedPostgres pg, String sql) throws SQLException {
        try (Connection c = pg.connect("shop"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void shouldStopServerLeftBehindByKilledJvm(@TempDir Path own) throws Exception {
        String leftoverRun;
        long leftoverPid;
        try (ChildJvm child = ChildJvm.of(EmbeddedServiceMain.class)
                .args("postgres", own.toString()).start()) {
            String[] ready = child.awaitLine(l -> l.startsWith("READY "), Duration.ofMinutes(2)).split(" ");
            leftoverPid = Long.parseLong(ready[1]);
            leftoverRun = ready[2];
            child.kill();
        }
        assertThat(ProcessHandle.of(leftoverPid).map(ProcessHandle::isAlive).orElse(false))
                .as("kill -9 of the JVM leaves its postmaster running")
                .isTrue();

        try (EmbeddedPostgres next = EmbeddedPostgres.builder().baseDirectory(own).build().start()) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> ProcessHandle.of(leftoverPid).map(p -> !p.isAlive()).orElse(true));
            assertThat(Path.of(leftoverRun)).doesNotExist();
            assertThat(next.dataDirectory()).isDirectory();
        }
        try (var left = Files.list(own)) {
            assertThat(left.filter(p -> p.getFileName().toString().startsWith("postgres-"))).isEmpty();
        }
    }

    private static String setting(String name) throws SQLException {
        try (Connection c = postgres.connect("postgres"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW " + name)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
