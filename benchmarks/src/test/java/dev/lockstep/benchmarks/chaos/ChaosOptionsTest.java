package dev.lockstep.benchmarks.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ChaosOptionsTest {

    @Test
    void shouldDefaultToTwentyRunsOfFiveKillsAndFiftySecondsOfWorkload() {
        ChaosOptions options = ChaosOptions.parse(new String[0]);

        assertThat(options.runs()).isEqualTo(20);
        assertThat(options.kills()).isEqualTo(5);
        assertThat(options.changes()).isEqualTo(75_000);
        assertThat(options.jar()).isEqualTo(Path.of("app/target/lockstep.jar"));
        assertThat(options.runSeed()).isEmpty();
    }

    @Test
    void shouldReplayOneRunFromItsSeed() {
        ChaosOptions options = ChaosOptions.parse(new String[] {"--run-seed", "-12", "--rate", "1000", "--keep"});

        assertThat(options.runs()).isEqualTo(1);
        assertThat(options.runSeed()).hasValue(-12);
        assertThat(options.changes()).isEqualTo(50_000);
        assertThat(options.replay(-12)).endsWith("chaos --run-seed -12 --runs 1 --kills 5 --rate 1000 --changes 50000 "
                + "--jar app/target/lockstep.jar");
    }

    @Test
    void shouldRejectUnknownOptionsWithTheAllowedOnes() {
        assertThatThrownBy(() -> ChaosOptions.parse(new String[] {"--kils", "3"}))
                .hasMessageContaining("unknown option '--kils'").hasMessageContaining("--kills");
        assertThatThrownBy(() -> ChaosOptions.parse(new String[] {"--run-seed", "5", "--runs", "3"}))
                .hasMessageContaining("--run-seed replays one run");
        assertThatThrownBy(() -> ChaosOptions.parse(new String[] {"--runs", "0"}))
                .hasMessageContaining("--runs: 0 is not allowed");
        assertThatThrownBy(() -> ChaosOptions.parse(new String[] {"--rate"})).hasMessageContaining("needs a value");
    }
}
