package dev.lockstep.core.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StreamPositionTest {

    @Test
    void shouldOrderByCommitLsnThenSequence() {
        StreamPosition early = StreamPosition.of(0x16_B374_D848L, 900);
        StreamPosition late = StreamPosition.of(0x16_B374_D849L, 1);

        assertThat(early).isLessThan(late);
        assertThat(late.isAfter(early)).isTrue();
        assertThat(StreamPosition.of(5, 1)).isLessThan(StreamPosition.of(5, 2));
        assertThat(StreamPosition.ZERO).isLessThan(StreamPosition.of(0, 1));
    }

    @Test
    void shouldFormatAndParseLsnLikePostgres() {
        assertThat(StreamPosition.formatLsn(0x16_B374_D848L)).isEqualTo("16/B374D848");
        assertThat(StreamPosition.parseLsn("16/B374D848")).isEqualTo(0x16_B374_D848L);
        assertThat(StreamPosition.of(0x16_B374_D848L, 3)).hasToString("16/B374D848#3");
    }

    @Test
    void shouldRejectNegativePositions() {
        assertThatThrownBy(() -> StreamPosition.of(-1, 0)).hasMessageContaining("must not be negative");
    }

    @Test
    void shouldNameTopicsPerPipeline() {
        assertThat(TopicNames.changes("shop")).isEqualTo("lockstep.shop.changes");
        assertThat(TopicNames.raw("shop", TableId.parse("public.orders"))).isEqualTo("lockstep.shop.raw.public.orders");
        assertThat(TableId.parse("orders")).isEqualTo(new TableId("public", "orders"));
    }
}
