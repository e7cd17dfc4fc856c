package ai.crate.ingest;

import java.time.Instant;

/**
 * Maps a stream's presentation times to wall-clock capture times in Unix µs: the first frame is anchored to the wall
 * clock, later frames keep the stream's spacing. Live streams re-anchor when the mapping drifts more than two seconds
 * from the wall clock (a reconnect restarts the stream's timestamps).
 */
final class CaptureClock {
    private static final long MAX_DRIFT_MICROS = 2_000_000;
    private final boolean live;
    private long anchorWall = -1;
    private long anchorStream;

    CaptureClock(boolean live) {
        this.live = live;
    }

    long captureMicros(long streamMicros) {
        long now = nowMicros();
        if (anchorWall < 0 || (live && Math.abs(anchorWall + streamMicros - anchorStream - now) > MAX_DRIFT_MICROS)) {
            anchorWall = now;
            anchorStream = streamMicros;
        }
        return anchorWall + streamMicros - anchorStream;
    }

    static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    }
}
