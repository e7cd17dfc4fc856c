package ai.crate.edge.spool;

/**
 * What the spool holds and what it had to give up: records appended and not yet acknowledged ({@code pending}), the
 * bytes of its segment files, records dropped because the byte or age limit was reached (oldest first), and records
 * found damaged on open (a truncated or corrupted segment) and skipped.
 */
public record SpoolStats(long pending, long bytes, long droppedForSpace, long droppedForAge, long damaged,
                         long lastSequence, long acknowledged) {
}
