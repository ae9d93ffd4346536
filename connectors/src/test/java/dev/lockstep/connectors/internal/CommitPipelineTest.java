package dev.lockstep.connectors.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.lockstep.core.stream.TableId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CommitPipelineTest {

    /** One Kafka transaction as the pipeline wrote it. */
    private record Written(List<String> records, Object offset, Map<TableId, String> catalog) {}

    private final List<Written> written = Collections.synchronizedList(new ArrayList<>());
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch releaseFirst = new CountDownLatch(1);
    private final AtomicInteger writes = new AtomicInteger();
    private volatile boolean holdFirst;
    private volatile RuntimeException failAt2;
    private CommitPipeline pipeline;

    private final CommitPipeline.Transactions kafka = (records, partition, offset, catalog) -> {
        int n = writes.incrementAndGet();
        List<String> sent = new ArrayList<>();
        records.accept(record -> sent.add(new String(record.value())));
        if (n == 1 && holdFirst) {
            try {
                releaseFirst.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (n == 2 && failAt2 != null) {
            throw failAt2;
        }
        written.add(new Written(sent, offset.get("lsn"), catalog));
        events.add("commit " + sent);
    };

    @AfterEach
    void close() {
        releaseFirst.countDown();
        if (pipeline != null) {
            pipeline.close(Duration.ofSeconds(5));
        }
    }

    private CommitPipeline open(int maxPending) {
        pipeline = new CommitPipeline("test-commits", kafka, (units, took) -> events.add("listener " + units),
                maxPending);
        return pipeline;
    }

    private CommitPipeline.Unit unit(String name, long lsn, Map<TableId, String> catalog) {
        return new CommitPipeline.Unit(List.of(new ProducerRecord<>("changes", name.getBytes())), Map.of(),
                Map.of("lsn", lsn), catalog, () -> events.add("committed " + name));
    }

    @Test
    void shouldRunAUnitsCallbackOnlyAfterTheTransactionCarryingItCommitted() throws Exception {
        open(4);

        long sequence = pipeline.submit(unit("t1", 10, null));
        pipeline.awaitCommitted(sequence);

        assertThat(events).containsExactly("commit [t1]", "listener 1", "committed t1");
        assertThat(written).containsExactly(new Written(List.of("t1"), 10L, null));
    }

    @Test
    void shouldCarryEveryUnitWaitingForACommitInTheNextTransactionWithTheLastOffset() throws Exception {
        holdFirst = true;
        open(4);
        Map<TableId, String> catalog = Map.of(TableId.parse("public.orders"), "v2");

        pipeline.submit(unit("t1", 10, null));
        await().atMost(Duration.ofSeconds(10)).until(() -> writes.get() == 1);
        pipeline.submit(unit("t2", 20, catalog));
        pipeline.submit(unit("t3", 30, null));
        long last = pipeline.submit(unit("t4", 40, null));
        releaseFirst.countDown();
        pipeline.awaitCommitted(last);

        assertThat(written).containsExactly(new Written(List.of("t1"), 10L, null),
                new Written(List.of("t2", "t3", "t4"), 40L, catalog));
        assertThat(events).containsExactly("commit [t1]", "listener 1", "committed t1", "commit [t2, t3, t4]",
                "listener 3", "committed t2", "committed t3", "committed t4");
    }

    @Test
    void shouldBlockTheSubmitterWhileMaxPendingUnitsWait() throws Exception {
        holdFirst = true;
        open(1);
        pipeline.submit(unit("t1", 10, null));
        await().atMost(Duration.ofSeconds(10)).until(() -> writes.get() == 1);
        pipeline.submit(unit("t2", 20, null));

        Thread submitter = new Thread(() -> {
            try {
                pipeline.submit(unit("t3", 30, null));
                events.add("t3 submitted");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        submitter.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> submitter.getState() == Thread.State.WAITING);
        assertThat(events).doesNotContain("t3 submitted");

        releaseFirst.countDown();
        submitter.join(10_000);
        pipeline.awaitCommitted(3);
        assertThat(events).contains("t3 submitted", "committed t3");
    }

    @Test
    void shouldNeverCommitAnythingAfterACommitFailed() throws Exception {
        holdFirst = true;
        failAt2 = new IllegalStateException("broker gone");
        open(4);
        pipeline.submit(unit("t1", 10, null));
        await().atMost(Duration.ofSeconds(10)).until(() -> writes.get() == 1);
        pipeline.submit(unit("t2", 20, null));
        long third = pipeline.submit(unit("t3", 30, null)); // in the failing transaction with t2
        releaseFirst.countDown();

        assertThatThrownBy(() -> pipeline.awaitCommitted(third)).hasMessage("broker gone");
        assertThatThrownBy(() -> pipeline.submit(unit("t4", 40, null))).hasMessage("broker gone");
        assertThatThrownBy(pipeline::rethrowFailure).hasMessage("broker gone");
        pipeline.close(Duration.ofSeconds(5));

        assertThat(written).containsExactly(new Written(List.of("t1"), 10L, null));
        assertThat(events).containsExactly("commit [t1]", "listener 1", "committed t1");
    }

    @Test
    void shouldCommitWhatWaitsWhenClosed() throws Exception {
        holdFirst = true;
        open(4);
        pipeline.submit(unit("t1", 10, null));
        await().atMost(Duration.ofSeconds(10)).until(() -> writes.get() == 1);
        pipeline.submit(unit("t2", 20, null));
        releaseFirst.countDown();

        pipeline.close(Duration.ofSeconds(10));

        assertThat(written).extracting(Written::offset).containsExactly(10L, 20L);
        assertThatThrownBy(() -> pipeline.submit(unit("t3", 30, null))).isInstanceOf(IllegalStateException.class);
    }
}
