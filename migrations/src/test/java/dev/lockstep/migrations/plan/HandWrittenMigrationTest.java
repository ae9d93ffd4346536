package dev.lockstep.migrations.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.core.LockstepException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The folder of hand-written migrations: names, down scripts, mistakes, and what a migration drops. */
class HandWrittenMigrationTest {

    @TempDir
    Path folder;

    @Test
    void shouldReadTheMigrationsInVersionOrderWithTheirDownScripts() throws Exception {
        Files.writeString(folder.resolve("V10__rollup.sql"), "CREATE MATERIALIZED VIEW r AS SELECT 1;");
        Files.writeString(folder.resolve("U10__rollup.sql"), "DROP MATERIALIZED VIEW r;");
        Files.writeString(folder.resolve("V2__index.sql"), "CREATE INDEX ON t (a);");
        Files.writeString(folder.resolve("README.md"), "not a migration");

        List<HandWrittenMigration> migrations = HandWrittenMigration.read(folder);

        assertThat(migrations).containsExactly(
                new HandWrittenMigration(2, "index", "V2__index.sql", "CREATE INDEX ON t (a);", Optional.empty()),
                new HandWrittenMigration(10, "rollup", "V10__rollup.sql", "CREATE MATERIALIZED VIEW r AS SELECT 1;",
                        Optional.of("DROP MATERIALIZED VIEW r;")));
    }

    @Test
    void shouldReportEveryMisnamedDuplicateAndOrphanFileAtOnce() throws Exception {
        Files.writeString(folder.resolve("V1__a.sql"), "SELECT 1;");
        Files.writeString(folder.resolve("V01__b.sql"), "SELECT 1;");
        Files.writeString(folder.resolve("V1__c.sql"), "SELECT 1;");
        Files.writeString(folder.resolve("U3__d.sql"), "SELECT 1;");

        assertThatThrownBy(() -> HandWrittenMigration.read(folder)).isInstanceOf(LockstepException.class)
                .hasMessageContaining("V01__b.sql: not a migration's name")
                .hasMessageContaining("V1__c.sql: version 1 is also V1__a.sql")
                .hasMessageContaining("U3__d.sql: a down script without its migration V3__d.sql");
    }

    @Test
    void shouldTellWhetherItDropsAViewOrAPolicy() {
        HandWrittenMigration migration = new HandWrittenMigration(1, "fix", "V1__fix.sql", """
                SET lock_timeout = '5s';
                DROP VIEW IF EXISTS public."signups";
                drop materialized view  rollup;
                DROP POLICY tenant ON shop_dw.dim_customer;
                """, Optional.empty());

        assertThat(migration.drops("public.signups", "view")).isTrue();
        assertThat(migration.drops("analytics.rollup", "materialized view")).isTrue(); // unqualified: search path
        assertThat(migration.drops("tenant on shop_dw.dim_customer", "policy")).isTrue();
        assertThat(migration.drops("other.signups", "view")).isFalse();
        assertThat(migration.drops("public.sign", "view")).isFalse();
        assertThat(migration.drops("tenant on shop_dw.fact_order_line", "policy")).isFalse();
    }

    @Test
    void shouldUndoAMigrationByItsDownScriptUnderADescriptionOfItsOwn() {
        HandWrittenMigration rollup = new HandWrittenMigration(10, "Rollup", "V10__Rollup.sql",
                "CREATE MATERIALIZED VIEW r AS SELECT 1;", Optional.of("DROP MATERIALIZED VIEW r;"));

        HandWrittenMigration undo = rollup.undo().orElseThrow();

        assertThat(rollup.storedDescription()).isEqualTo("hand_written_v10_rollup");
        assertThat(rollup.undone()).isFalse();
        assertThat(undo.storedDescription()).isEqualTo("undo_hand_written_v10_rollup");
        assertThat(undo.undone()).isTrue();
        assertThat(HandWrittenMigration.undoneBy(undo.storedDescription())).contains("hand_written_v10_rollup");
        assertThat(HandWrittenMigration.undoneBy(rollup.storedDescription())).isEmpty();
        assertThat(undo.up()).isEqualTo("DROP MATERIALIZED VIEW r;");
        assertThat(undo.down()).contains("CREATE MATERIALIZED VIEW r AS SELECT 1;");
        assertThat(undo.drops("public.r", "materialized view")).isTrue();
        assertThat(new HandWrittenMigration(2, "index", "V2__index.sql", "CREATE INDEX ON t (a);", Optional.empty())
                .undo()).isEmpty();
    }

    @Test
    void shouldReadAStoredHandWrittenMigrationBackButNoGeneratedOneOrUndo() {
        assertThat(HandWrittenMigration.stored("hand_written_v10_rollup", "CREATE …;", "DROP …;")).contains(
                new HandWrittenMigration(10, "rollup", "V10__rollup.sql", "CREATE …;", Optional.of("DROP …;")));
        assertThat(HandWrittenMigration.stored("hand_written_v2_index", "CREATE INDEX …;", " ").orElseThrow().down())
                .isEmpty();
        assertThat(HandWrittenMigration.stored("expand", "ALTER …;", "")).isEmpty();
        assertThat(HandWrittenMigration.stored("undo_hand_written_v10_rollup", "DROP …;", "CREATE …;")).isEmpty();
    }
}
