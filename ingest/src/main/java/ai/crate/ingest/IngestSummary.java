package ai.crate.ingest;

/**
 * What one ingest run did. {@code read} frames were taken for publishing (after any {@code --fps} skipping); each was
 * then either {@code sent} (acknowledged by Kafka) or {@code dropped} (live sources under pressure), so at the end
 * {@code read == sent + dropped}. Also: frames skipped by the rate limit, reconnects and the time the stream was
 * away, mean encode time, mean and largest send latency, and the wall time.
 */
public record IngestSummary(long read, long sent, long dropped, long skipped, long reconnects, double downtimeSeconds,
                            double encodeMillis,
                            double sendMillis, double maxSendMillis, double seconds) {

    /** The summary line {@code bin/crate ingest} ends with. */
    public String line() {
        return String.format(java.util.Locale.ROOT,
                "frames_read=%d frames_sent=%d frames_dropped=%d frames_skipped=%d reconnects=%d downtime_s=%.1f"
                        + " seconds=%.1f"
                        + " frames_per_second=%.1f encode_ms=%.2f send_latency_ms=%.1f send_latency_max_ms=%.1f",
                read, sent, dropped, skipped, reconnects, downtimeSeconds, seconds, seconds > 0 ? sent / seconds : 0.0, encodeMillis,
                sendMillis, maxSendMillis);
    }
}
