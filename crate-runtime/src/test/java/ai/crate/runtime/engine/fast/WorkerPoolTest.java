package ai.crate.runtime.engine.fast;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The fast engine's worker pool runs every index exactly once, survives failing tasks and closes cleanly. */
class WorkerPoolTest {

    @Test
    void everyIndexRunsExactlyOnceWhateverTheRegionSizes() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (WorkerPool pool = new WorkerPool(3)) {
                SplittableRandom random = new SplittableRandom(1);
                for (int region = 0; region < 3000; region++) {
                    int count = 1 + random.nextInt(6);
                    AtomicIntegerArray runs = new AtomicIntegerArray(count);
                    pool.run(count, (worker, index) -> {
                        if ((index & 1) == 0) {
                            Thread.yield();
                        }
                        runs.incrementAndGet(index);
                    });
                    for (int i = 0; i < count; i++) {
                        assertThat(runs.get(i)).as("region %d index %d", region, i).isEqualTo(1);
                    }
                }
            }
        });
    }

    @Test
    void aFailingTaskIsRethrownAndThePoolStaysUsable() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (WorkerPool pool = new WorkerPool(2)) {
                for (int attempt = 0; attempt < 50; attempt++) {
                    assertThatThrownBy(() -> pool.run(8, (worker, index) -> {
                        if (index == 5) {
                            throw new AssertionError("task 5 failed");
                        }
                    })).isInstanceOf(AssertionError.class).hasMessage("task 5 failed");
                    try {
                        pool.run(8, (worker, index) -> {
                            if (worker == 1) {
                                throw new IllegalStateException("helper failed");
                            }
                            Thread.yield();
                        });
                    } catch (IllegalStateException e) {
                        assertThat(e).hasMessage("helper failed");
                    }
                    AtomicIntegerArray runs = new AtomicIntegerArray(4);
                    pool.run(4, (worker, index) -> runs.incrementAndGet(index));
                    assertThat(runs.get(0) + runs.get(1) + runs.get(2) + runs.get(3)).isEqualTo(4);
                }
            }
        });
    }

    @Test
    void closeWaitsForTheRunningRegion() throws Exception {
        WorkerPool pool = new WorkerPool(2);
        CountDownLatch started = new CountDownLatch(1);
        AtomicIntegerArray done = new AtomicIntegerArray(2);
        Thread caller = new Thread(() -> pool.run(2, (worker, index) -> {
            started.countDown();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            done.incrementAndGet(index);
        }));
        caller.start();
        started.await();
        pool.close();
        caller.join(5000);
        assertThat(done.get(0) + done.get(1)).isEqualTo(2);
        assertThatThrownBy(() -> pool.run(2, (worker, index) -> { })).hasMessageContaining("closed");
    }
}
