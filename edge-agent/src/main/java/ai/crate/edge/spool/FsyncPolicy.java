package ai.crate.edge.spool;

import java.util.Locale;

/**
 * When the spool forces appended records to the storage device. Every append is written to the file before
 * {@link Spool#append} returns, so a crashed or {@code kill -9}ed process loses nothing in any mode; the policy
 * decides what a power loss can take: {@code always} nothing, {@code interval:N} (milliseconds) at most the last N ms
 * of appends, {@code never} whatever the operating system had not written yet (typically up to 30 s on Linux).
 */
public record FsyncPolicy(Kind kind, long intervalMillis) {

    /** The three policies. */
    public enum Kind { ALWAYS, INTERVAL, NEVER }

    public FsyncPolicy {
        if (kind == Kind.INTERVAL && intervalMillis < 1) {
            throw new IllegalArgumentException("an fsync interval must be at least 1 ms, got " + intervalMillis);
        }
    }

    public static FsyncPolicy always() {
        return new FsyncPolicy(Kind.ALWAYS, 0);
    }

    /** Parses {@code always}, {@code never} or {@code interval:N} with N in milliseconds. */
    public static FsyncPolicy parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("always")) {
            return always();
        }
        if (t.equals("never")) {
            return new FsyncPolicy(Kind.NEVER, 0);
        }
        if (t.startsWith("interval:")) {
            try {
                return new FsyncPolicy(Kind.INTERVAL, Long.parseLong(t.substring("interval:".length())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("fsync policy '" + text + "': the interval must be whole"
                        + " milliseconds, e.g. interval:200");
            }
        }
        throw new IllegalArgumentException("fsync policy '" + text + "': expected always, never or interval:MS");
    }

    /** Whether an append now, {@code sinceLastForce} ms after the last force, must force. */
    boolean forceNow(long sinceLastForce) {
        return kind == Kind.ALWAYS || kind == Kind.INTERVAL && sinceLastForce >= intervalMillis;
    }

    @Override
    public String toString() {
        return kind == Kind.INTERVAL ? "interval:" + intervalMillis : kind.name().toLowerCase(Locale.ROOT);
    }
}
