package dev.lockstep.benchmarks.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lockstep.benchmarks.chaos.KillSchedule.PlannedKill;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class KillScheduleTest {

    private static final long CHANGES = 75_000;

    @Test
    void shouldDrawTheSameScheduleForTheSameRunSeed() {
        long runSeed = KillSchedule.runSeed(42, 3);

        assertThat(KillSchedule.draw(runSeed, 5, CHANGES)).isEqualTo(KillSchedule.draw(runSeed, 5, CHANGES));
        assertThat(KillSchedule.runSeed(42, 3)).isEqualTo(runSeed);
        assertThat(KillSchedule.workloadSeed(runSeed)).isEqualTo(KillSchedule.workloadSeed(runSeed));
    }

    @Test
    void shouldGiveEveryRunItsOwnSeed() {
        Set<Long> seeds = IntStream.range(0, 100).mapToObj(i -> KillSchedule.runSeed(42, i))
                .collect(java.util.stream.Collectors.toSet());

        assertThat(seeds).hasSize(100);
        assertThat(KillSchedule.runSeed(43, 0)).isNotEqualTo(KillSchedule.runSeed(42, 0));
    }

    @Test
    void shouldKillDuringTheSnapshotFirstInEveryEvenRun() {
        for (int run = 0; run < 40; run += 2) {
            List<PlannedKill> kills = KillSchedule.draw(KillSchedule.runSeed(7, run), 5, CHANGES).kills();

            assertThat(kills.get(0).phase()).as("first kill of run %d", run).isEqualTo(Phase.SNAPSHOT);
        }
    }

    @Test
    void shouldCoverEveryPhaseInEveryFourConsecutiveRuns() {
        for (int first = 0; first < 40; first++) {
            Set<Phase> planned = EnumSet.noneOf(Phase.class);
            for (int run = first; run < first + 4; run++) {
                KillSchedule.draw(KillSchedule.runSeed(42, run), 5, CHANGES).kills()
                        .forEach(kill -> planned.add(kill.phase()));
            }

            assertThat(planned).as("runs %d to %d", first, first + 3)
                    .containsExactlyInAnyOrder(Phase.STARTUP, Phase.SNAPSHOT, Phase.STREAMING, Phase.CATCH_UP);
        }
    }

    @Test
    void shouldPrecedeACatchUpKillWithAStreamingKillNearTheWorkloadsEnd() {
        List<PlannedKill> kills = KillSchedule.draw(KillSchedule.runSeed(42, 0), 5, CHANGES).kills();

        assertThat(kills).extracting(PlannedKill::phase).startsWith(Phase.SNAPSHOT).endsWith(Phase.STREAMING,
                Phase.CATCH_UP);
        assertThat(kills.get(3).atChanges()).isBetween((long) (CHANGES * 0.93), (long) (CHANGES * 0.99));
    }

    @Test
    void shouldPlaceStreamingKillsInOrderInsideTheWorkload() {
        for (int run = 0; run < 40; run++) {
            List<Long> points = KillSchedule.draw(KillSchedule.runSeed(42, run), 8, CHANGES).kills().stream()
                    .filter(k -> k.phase() == Phase.STREAMING).map(PlannedKill::atChanges).toList();

            assertThat(points).isSorted().allSatisfy(at -> assertThat(at).isBetween(1L, CHANGES - 1));
        }
    }

    @Test
    void shouldKeepDelaysInsideTheirPhasesBounds() {
        for (int run = 0; run < 40; run++) {
            for (PlannedKill kill : KillSchedule.draw(KillSchedule.runSeed(42, run), 5, CHANGES).kills()) {
                long max = switch (kill.phase()) {
                    case STARTUP -> KillSchedule.STARTUP_MAX_MILLIS;
                    case SNAPSHOT -> KillSchedule.SNAPSHOT_MAX_MILLIS;
                    case CATCH_UP -> KillSchedule.CATCH_UP_MAX_MILLIS;
                    default -> 1;
                };

                assertThat(kill.delayMillis()).as("%s", kill).isLessThan(max);
            }
        }
    }

    @Test
    void shouldDrawNoKillsWhenAskedForNone() {
        assertThat(KillSchedule.draw(1, 0, CHANGES).kills()).isEmpty();
        assertThat(KillSchedule.draw(KillSchedule.runSeed(1, 0), 1, CHANGES).kills()).extracting(PlannedKill::phase)
                .containsExactly(Phase.SNAPSHOT);
    }

    @Test
    void shouldRefuseACaughtUpKillAndNegativeCounts() {
        assertThatThrownBy(() -> new PlannedKill(Phase.CAUGHT_UP, 0, 0)).hasMessageContaining("caught-up");
        assertThatThrownBy(() -> KillSchedule.draw(1, -1, CHANGES)).hasMessageContaining("kills must be >= 0");
    }
}
