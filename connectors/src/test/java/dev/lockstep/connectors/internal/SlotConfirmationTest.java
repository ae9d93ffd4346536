package dev.lockstep.connectors.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlotConfirmationTest {

    private final SlotConfirmation<String> confirmation = new SlotConfirmation<>();
    private final List<String> events = new ArrayList<>();

    @Test
    void shouldConfirmTheLastClosingRecordOnlyAfterTheKafkaCommit() throws Exception {
        confirmation.read("END t1", false);
        confirmation.read("BEGIN t2", true);
        confirmation.read("change of t2", true);
        confirmation.read("heartbeat inside t2", true);

        confirmation.commitThenConfirm(() -> events.add("kafka commit"), record -> events.add("confirm " + record));

        assertThat(events).containsExactly("kafka commit", "confirm END t1");
        assertThat(confirmation.closing()).isNull();
    }

    @Test
    void shouldConfirmNothingWhenTheKafkaCommitFails() throws Exception {
        confirmation.read("END t1", false);

        assertThatThrownBy(() -> confirmation.commitThenConfirm(() -> {
            throw new IllegalStateException("broker gone");
        }, record -> events.add("confirm " + record))).hasMessage("broker gone");

        assertThat(events).isEmpty();
        assertThat(confirmation.closing()).as("still to be written").isEqualTo("END t1");
    }

    @Test
    void shouldNeitherCommitNorConfirmWhileOnlyAnOpenTransactionWasRead() throws Exception {
        confirmation.read("BEGIN t1", true);
        confirmation.read("change of t1", true);

        confirmation.commitThenConfirm(() -> events.add("kafka commit"), record -> events.add("confirm " + record));

        assertThat(events).isEmpty();
    }

    @Test
    void shouldConfirmAHeartbeatReadBetweenTransactions() throws Exception {
        confirmation.read("END t1", false);
        confirmation.read("heartbeat", false);

        confirmation.commitThenConfirm(() -> events.add("kafka commit"), record -> events.add("confirm " + record));

        assertThat(events).containsExactly("kafka commit", "confirm heartbeat");
    }
}
