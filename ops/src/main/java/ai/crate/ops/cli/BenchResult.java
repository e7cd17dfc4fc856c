package ai.crate.ops.cli;

import ai.crate.runtime.engine.CrateEngine;
import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
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
        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        int warmupRuns = 0;
        while (System.nanoTime() < warmupEnd || warmupRuns < 2) {
            engine.forward(images, batch);
            warmupRuns++;
        }
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
        long[] latencies = new long[1 << 16];
        int runs = 0;
        long start = System.nanoTime();
        long now = start;
        long gc;
        try {
            long end = start + (long) (seconds * 1e9);
            while (now < end || runs == 0) {
                engine.forward(images, batch);
                long after = System.nanoTime();
                if (runs == latencies.length) {
                    latencies = Arrays.copyOf(latencies, runs * 2);
                }
                latencies[runs++] = after - now;
                now = after;
            }
            gc = totalGcMillis() - gcBefore;
        } finally {
            for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
                try {
                    ((NotificationEmitter) bean).removeNotificationListener(listener);
                } catch (javax.management.ListenerNotFoundException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        double elapsed = (now - start) / 1e9;
        long[] sorted = Arrays.copyOf(latencies, runs);
        Arrays.sort(sorted);
        long imagesDone = (long) runs * batch;
        double gflops = 2.0 * engine.config().multiplyAdds() * imagesDone / elapsed / 1e9;
        return new BenchResult(engine.name(), batch, imagesDone, elapsed, percentile(sorted, 0.50) / 1e6,
                percentile(sorted, 0.99) / 1e6, gflops, gc, maxPause.get());
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
