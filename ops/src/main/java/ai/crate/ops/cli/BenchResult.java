package ai.crate.ops.cli;

import ai.crate.runtime.engine.CrateEngine;
import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/** The timed run of one engine: throughput, batch latency percentiles, GFLOP/s and GC, measured after a warm-up. */
record BenchResult(String engine, int batch, long images, double elapsedSeconds, double p50Millis, double p99Millis,
        double gflops, long gcMillis, long gcMaxPauseMillis) {

    double imagesPerSecond() {
        return images / elapsedSeconds;
    }

    static BenchResult measure(CrateEngine engine, float[] images, int batch, double warmupSeconds,
            double seconds) {
        Recorder recorder = new Recorder(engine, images, batch);
        recorder.warmUp(warmupSeconds);
        recorder.time(seconds);
        return recorder.result();
    }

    /**
     * Several engines timed in turns of {@code sliceSeconds}, each turn's order rotated, until each has
     * {@code seconds} in all: on a machine whose speed drifts, every engine samples the same minutes.
     */
    static List<BenchResult> interleaved(List<CrateEngine> engines, float[] images, int batch, double warmupSeconds,
            double seconds, double sliceSeconds) {
        List<Recorder> recorders = new ArrayList<>();
        for (CrateEngine engine : engines) {
            Recorder recorder = new Recorder(engine, images, batch);
            recorder.warmUp(warmupSeconds);
            recorders.add(recorder);
        }
        long turns = Math.max(1, (long) Math.ceil(seconds / sliceSeconds - 1e-9));
        for (long turn = 0; turn < turns; turn++) {
            double slice = Math.min(sliceSeconds, seconds - turn * sliceSeconds);
            for (int i = 0; i < recorders.size(); i++) {
                recorders.get((int) ((turn + i) % recorders.size())).time(slice);
            }
        }
        List<BenchResult> results = new ArrayList<>();
        for (Recorder recorder : recorders) {
            results.add(recorder.result());
        }
        return results;
    }

    /** One engine's batches, latencies and GC, added up over one or more timed stretches. */
    private static final class Recorder {
        private final CrateEngine engine;
        private final float[] images;
        private final int batch;
        private long[] latencies = new long[1 << 16];
        private int runs;
        private long nanos;
        private long gcMillis;
        private long maxPauseMillis;

        Recorder(CrateEngine engine, float[] images, int batch) {
            this.engine = engine;
            this.images = images;
            this.batch = batch;
        }

        void warmUp(double seconds) {
            long end = System.nanoTime() + (long) (seconds * 1e9);
            int warmupRuns = 0;
            while (System.nanoTime() < end || warmupRuns < 2) {
                engine.forward(images, batch);
                warmupRuns++;
            }
        }

        /** Runs batches for {@code seconds} (at least one), recording each one's latency and the GC meanwhile. */
        void time(double seconds) {
            AtomicLong maxPause = new AtomicLong();
            NotificationListener listener = (notification, handback) -> {
                if (notification.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                    GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from(
                            (CompositeData) notification.getUserData());
                    maxPause.accumulateAndGet(info.getGcInfo().getDuration(), Math::max);
                }
            };
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                ((NotificationEmitter) gc).addNotificationListener(listener, null, null);
            }
            long gcBefore = totalGcMillis();
            long start = System.nanoTime();
            long now = start;
            int first = runs;
            try {
                long end = start + (long) (seconds * 1e9);
                while (now < end || runs == first) {
                    engine.forward(images, batch);
                    long after = System.nanoTime();
                    if (runs == latencies.length) {
                        latencies = Arrays.copyOf(latencies, runs * 2);
                    }
                    latencies[runs++] = after - now;
                    now = after;
                }
                gcMillis += totalGcMillis() - gcBefore;
            } finally {
                for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
                    try {
                        ((NotificationEmitter) bean).removeNotificationListener(listener);
                    } catch (ListenerNotFoundException e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
            nanos += now - start;
            maxPauseMillis = Math.max(maxPauseMillis, maxPause.get());
        }

        BenchResult result() {
            double elapsed = nanos / 1e9;
            long[] sorted = Arrays.copyOf(latencies, runs);
            Arrays.sort(sorted);
            long imagesDone = (long) runs * batch;
            double gflops = 2.0 * engine.config().multiplyAdds() * imagesDone / elapsed / 1e9;
            return new BenchResult(engine.name(), batch, imagesDone, elapsed, percentile(sorted, 0.50) / 1e6,
                    percentile(sorted, 0.99) / 1e6, gflops, gcMillis, maxPauseMillis);
        }
    }

    String line(String subject) {
        return String.format(Locale.ROOT, "engine=%s %s images/s=%.2f ms/image=%.3f p50_ms=%.2f p99_ms=%.2f gflops=%.1f"
                + " gc_ms=%d gc_max_pause_ms=%d runs=%d seconds=%.1f", engine, subject, imagesPerSecond(),
                1000.0 * elapsedSeconds / images, p50Millis, p99Millis, gflops, gcMillis, gcMaxPauseMillis,
                images / batch, elapsedSeconds);
    }

    private static long percentile(long[] sorted, double q) {
        int index = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, index)];
    }

    private static long totalGcMillis() {
        long total = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            total += Math.max(0, gc.getCollectionTime());
        }
        return total;
    }
}
