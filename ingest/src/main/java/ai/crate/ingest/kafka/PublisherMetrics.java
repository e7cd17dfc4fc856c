package ai.crate.ingest.kafka;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one publisher, safe to read from any thread: frames acknowledged and failed, and the send latency
 * (from {@code send} to acknowledgement) as a total and a maximum.
 */
public final class PublisherMetrics {
    private final LongAdder attempted = new LongAdder();
    private final LongAdder acknowledged = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder latencyMicrosTotal = new LongAdder();
    private final AtomicLong latencyMicrosMax = new AtomicLong();

    void recordAttempt() {
        attempted.increment();
    }

    void recordAcknowledged(long latencyMicros) {
        acknowledged.increment();
        latencyMicrosTotal.add(latencyMicros);
        latencyMicrosMax.accumulateAndGet(latencyMicros, Math::max);
    }

    void recordFailed() {
        failed.increment();
    }

    public long acknowledged() {
        return acknowledged.sum();
    }

    public long failed() {
        return failed.sum();
    }

    /** Frames handed to the producer that are neither acknowledged nor failed yet. */
    public long inFlight() {
        return attempted.sum() - acknowledged.sum() - failed.sum();
    }

    /** Mean send latency in ms over the acknowledged frames, 0 before the first. */
    public double meanLatencyMillis() {
        long n = acknowledged.sum();
        return n == 0 ? 0 : latencyMicrosTotal.sum() / 1000.0 / n;
    }

    public double maxLatencyMillis() {
        return latencyMicrosMax.get() / 1000.0;
    }
}
