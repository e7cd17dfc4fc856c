package ai.crate.edge;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's counters and recent latencies, shared by its threads: frames read, dropped and uploaded per camera,
 * predictions,
 * and the last 1024 capture-to-prediction and inference times (for p50/p99). Thread-safe.
 */
final class AgentMetrics {
    private static final int WINDOW = 1024;

    private final Map<String, AtomicLong> read = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> dropped = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> uploaded = new ConcurrentHashMap<>();
    private final AtomicLong predictions = new AtomicLong();
    private final double[] latencies = new double[WINDOW];
    private final double[] inference = new double[WINDOW];
    private long recorded;

    void frameRead(String camera) {
        read.computeIfAbsent(camera, c -> new AtomicLong()).incrementAndGet();
    }

    void frameDropped(String camera) {
        dropped.computeIfAbsent(camera, c -> new AtomicLong()).incrementAndGet();
    }

    void frameUploaded(String camera) {
        uploaded.computeIfAbsent(camera, c -> new AtomicLong()).incrementAndGet();
    }

    Map<String, Long> framesUploaded() {
        return snapshot(uploaded);
    }

    synchronized void predicted(double latencyMillis, double inferenceMillis) {
        latencies[(int) (recorded % WINDOW)] = latencyMillis;
        inference[(int) (recorded % WINDOW)] = inferenceMillis;
        recorded++;
        predictions.incrementAndGet();
    }

    long predictions() {
        return predictions.get();
    }

    Map<String, Long> framesRead() {
        return snapshot(read);
    }

    Map<String, Long> framesDropped() {
        return snapshot(dropped);
    }

    /** The {@code q} quantile of the recent capture-to-prediction times in ms (0 before any). */
    synchronized double latencyQuantile(double q) {
        return quantile(latencies, q);
    }

    synchronized double inferenceQuantile(double q) {
        return quantile(inference, q);
    }

    private double quantile(double[] values, double q) {
        int n = (int) Math.min(recorded, WINDOW);
        if (n == 0) {
            return 0;
        }
        double[] sorted = Arrays.copyOf(values, n);
        Arrays.sort(sorted);
        return sorted[Math.min(n - 1, (int) Math.floor(q * (n - 1)))];
    }

    private static Map<String, Long> snapshot(Map<String, AtomicLong> counters) {
        Map<String, Long> out = new TreeMap<>();
        counters.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }
}
