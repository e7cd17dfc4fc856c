package ai.crate.ingest;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class FrameQueueTest {
    @Test
    void liveQueueEvictsTheOldestAndCountsIt() throws Exception {
        FrameQueue<Integer> queue = new FrameQueue<>(3, true);
        for (int i = 0; i < 5; i++) {
            queue.put(i);
        }
        assertThat(queue.evicted()).isEqualTo(2);
        assertThat(queue.poll(10)).isEqualTo(2);
    }

    @Test
    void losslessQueueWaitsForRoomAndDeliversEverythingInOrder() throws Exception {
        FrameQueue<Integer> queue = new FrameQueue<>(2, false);
        CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < 100; i++) {
                    queue.put(i);
                }
                queue.finish(null);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        for (int expected = 0; expected < 100; expected++) {
            Integer item = null;
            while (item == null) {
                item = queue.poll(100);
            }
            assertThat(item).isEqualTo(expected);
        }
        producer.get(5, TimeUnit.SECONDS);
        assertThat(queue.poll(10)).isNull();
        assertThat(queue.isDrained()).isTrue();
        assertThat(queue.evicted()).isZero();
    }

    @Test
    void abandoningReleasesAWaitingProducer() throws Exception {
        FrameQueue<Integer> queue = new FrameQueue<>(1, false);
        queue.put(0);
        CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
            try {
                queue.put(1);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        assertThat(blocked).isNotDone();
        queue.abandon();
        blocked.get(5, TimeUnit.SECONDS);
    }
}
