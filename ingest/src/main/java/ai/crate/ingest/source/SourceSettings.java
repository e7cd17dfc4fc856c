package ai.crate.ingest.source;

import java.time.Duration;

/**
 * How to open a source: its URI, the largest side frames should have (sources that can scale while decoding do),
 * the network timeout (connect and read), how long a live source keeps trying to reconnect, and whether an image
 * directory starts again at its end.
 */
public record SourceSettings(String uri, int maxSide, Duration timeout, Duration reconnectFor, boolean loop) {
    public SourceSettings {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("a source URI is required");
        }
        if (maxSide < 0) {
            throw new IllegalArgumentException("max side must not be negative, got " + maxSide);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("source timeout must be positive, got " + timeout);
        }
    }

    public static SourceSettings of(String uri) {
        return new SourceSettings(uri, 640, Duration.ofSeconds(10), Duration.ofMinutes(5), false);
    }
}
