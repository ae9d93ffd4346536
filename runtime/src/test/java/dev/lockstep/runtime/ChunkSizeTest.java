package dev.lockstep.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChunkSizeTest {

    @ParameterizedTest(name = "{0} rows in {1} ms, at most {2}: next {3}")
    @CsvSource({
        "1000, 100, 10000, 1000", // on budget: the same
        "1000, 200, 10000, 500", // twice the budget: half
        "1000, 50, 10000, 2000", // half the budget: twice
        "1000, 10, 10000, 2000", // much faster: at most twice as many at once
        "1000, 10, 1500, 1500", // never over the recorded chunk size
        "1000, 5000, 10000, 100", // much slower: never under the minimum
        "1000, 5000, 50, 50", // a recorded chunk size under the minimum holds
        "1000, 0, 10000, 2000", // a chunk timed at 0 ns
    })
    void shouldSizeTheNextChunkToTheBudgetAtTheLastChunksPace(int size, long millis, int max, int next) {
        assertThat(ShadowColumnChunks.nextRows(size, millis * 1_000_000L, max)).isEqualTo(next);
    }
}
