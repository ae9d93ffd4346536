package dev.lockstep.connectors.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ResumeOffsetTest {

    /** An END marker's offset as Debezium 3.6 writes it: every LSN is the commit's end. */
    static final Map<String, Object> AT_COMMIT = Map.of("lsn", 26_253_128L, "lsn_proc", 26_253_128L,
            "lsn_commit", 26_253_128L, "messageType", "COMMIT", "txId", 750L, "transaction_id", "750",
            "ts_usec", 1_764_000_000_000_000L);

    @Test
    void shouldResumeFromTheCommitWithoutDebeziumsSearchAtATransactionBoundary() {
        Map<String, Object> resume = ResumeOffset.of(AT_COMMIT);

        assertThat(resume).doesNotContainKey("lsn_proc");
        assertThat(resume).containsEntry("lsn", 26_253_128L).containsEntry("lsn_commit", 26_253_128L)
                .containsEntry("messageType", "COMMIT").containsEntry("txId", 750L)
                .containsEntry("transaction_id", "750").hasSize(AT_COMMIT.size() - 1);
    }

    @Test
    void shouldTreatLsnsReadBackAsIntegersLikeLongs() {
        assertThat(ResumeOffset.of(Map.of("lsn", 4096, "lsn_proc", 4096L, "lsn_commit", 4096, "messageType",
                "COMMIT"))).doesNotContainKey("lsn_proc");
    }

    @Test
    void shouldLeaveAnOffsetInsideATransactionAsStored() {
        Map<String, Object> insideTransaction = Map.of("lsn", 26_300_000L, "lsn_proc", 26_300_000L,
                "lsn_commit", 26_253_128L, "messageType", "INSERT", "txId", 751L);

        assertThat(ResumeOffset.of(insideTransaction)).isEqualTo(insideTransaction);
    }

    @Test
    void shouldLeaveACommitWhoseLsnsDisagreeAsStored() {
        Map<String, Object> laterChange = Map.of("lsn", 26_300_000L, "lsn_proc", 26_300_000L,
                "lsn_commit", 26_253_128L, "messageType", "COMMIT");

        assertThat(ResumeOffset.of(laterChange)).isEqualTo(laterChange);
    }

    @Test
    void shouldLeaveSnapshotAndMessageOffsetsAsStored() {
        Map<String, Object> snapshot = Map.of("lsn", 25_000_000L, "txId", 744L, "snapshot", "INITIAL",
                "last_snapshot_record", true);
        Map<String, Object> message = Map.of("lsn", 26_400_000L, "lsn_proc", 26_400_000L,
                "lsn_commit", 26_400_000L, "messageType", "MESSAGE");

        assertThat(ResumeOffset.of(snapshot)).isEqualTo(snapshot);
        assertThat(ResumeOffset.of(message)).isEqualTo(message);
    }
}
