package ai.crate.edge.spool;

/**
 * How much the spool may hold: at most {@code maxBytes} on disk and records at most {@code maxAgeMillis} old. When
 * either is exceeded the oldest segment goes first, its undelivered records counted as dropped. Records are written
 * in segment files of about {@code segmentBytes}, the unit in which space is freed.
 */
public record SpoolLimits(long maxBytes, long maxAgeMillis, long segmentBytes) {

    public SpoolLimits {
        if (segmentBytes < 4096 || maxBytes < 4 * segmentBytes || maxAgeMillis < 1) {
            throw new IllegalArgumentException("spool limits: segments of at least 4096 bytes, at least four of them"
                    + " in the byte limit, and a positive age limit; got segment " + segmentBytes + " B, limit "
                    + maxBytes + " B, age " + maxAgeMillis + " ms");
        }
    }

    /** 1 GiB, 7 days, 16 MiB segments. */
    public static SpoolLimits defaults() {
        return new SpoolLimits(1L << 30, 7L * 24 * 3600 * 1000, 16L << 20);
    }
}
