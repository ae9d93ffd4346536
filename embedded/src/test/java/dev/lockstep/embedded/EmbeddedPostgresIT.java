package dev.lockstep.embedded;

import static org.assertj.core.api.Assertions.assertThat;
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

/** The embedded PostgreSQL itself: durable settings, logical WAL, lifecycle, cleanup after a crash. */
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
