package dev.lockstep.connectors.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlotConfirmationTest {

    private final SlotConfirmation<String> confirmation = new SlotConfirmation<>();
    private final List<String> confirmed = new ArrayList<>();

    @Test
    void shouldHandOverTheLastRecordReadOutsideATransaction() {
        confirmation.read("END t1", false);
        confirmation.read("BEGIN t2", true);
        confirmation.read("change of t2", true);
        confirmation.read("heartbeat inside t2", true);

        assertThat(confirmation.handOver()).isEqualTo("END t1");
        assertThat(confirmation.closing()).as("handed over once").isNull();
    }

    @Test
    void shouldConfirmNothingUntilTheKafkaTransactionReportsItCommitted() throws Exception {
        confirmation.read("END t1", false);
        String carried = confirmation.handOver();

        assertThat(confirmation.confirm(confirmed::add)).isZero();
        assertThat(confirmed).as("handed over, not committed: the slot must not move").isEmpty();

        confirmation.committed(carried);
        assertThat(confirmation.confirm(confirmed::add)).isEqualTo(1);
        assertThat(confirmed).containsExactly("END t1");
        assertThat(confirmation.confirm(confirmed::add)).as("confirmed once").isZero();
    }

    @Test
    void shouldConfirmCommittedRecordsInTheOrderTheyCommitted() throws Exception {
        confirmation.read("END t1", false);
        String first = confirmation.handOver();
        confirmation.read("END t2", false);
        confirmation.read("heartbeat", false);
        String second = confirmation.handOver();

        confirmation.committed(first);
        confirmation.committed(second);
        confirmation.confirm(confirmed::add);

        assertThat(confirmed).containsExactly("END t1", "heartbeat");
    }

    @Test
    void shouldHandOverNothingWhileOnlyAnOpenTransactionWasRead() {
        confirmation.read("BEGIN t1", true);
        confirmation.read("change of t1", true);

        assertThat(confirmation.closing()).isNull();
        assertThat(confirmation.handOver()).isNull();
    }
}
