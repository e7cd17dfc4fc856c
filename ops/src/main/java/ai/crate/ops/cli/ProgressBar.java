package ai.crate.ops.cli;

import ai.crate.ingest.IngestProgress;
import ai.crate.ingest.IngestSummary;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Ingest progress on standard error: a bar redrawn in place on a terminal (with the percentage when the source
 * declares its length), or a plain line every five seconds when standard error is a file or pipe.
 */
final class ProgressBar implements IngestProgress {
    private static final int WIDTH = 30;
    private final boolean quiet;
    private final boolean terminal = System.console() != null;
    private final PrintStream err = System.err;
    private long lastLine;
    private boolean drawn;

    ProgressBar(boolean quiet) {
        this.quiet = quiet;
    }

    @Override
    public void update(IngestSummary soFar, long declaredFrames) {
        if (quiet) {
            return;
        }
        String counts = String.format(Locale.ROOT, "read %d sent %d dropped %d  %.1f frames/s", soFar.read(),
                soFar.sent(), soFar.dropped(), soFar.seconds() > 0 ? soFar.sent() / soFar.seconds() : 0.0);
        if (terminal) {
            String bar = "";
            if (declaredFrames > 0) {
                double done = Math.min(1.0, (double) soFar.read() / declaredFrames);
                int filled = (int) Math.round(done * WIDTH);
                bar = String.format(Locale.ROOT, "[%s%s] %3.0f%%  ", "#".repeat(filled), ".".repeat(WIDTH - filled),
                        done * 100);
            }
            err.print("\r" + bar + counts + "   ");
            drawn = true;
        } else if (System.nanoTime() - lastLine > 5_000_000_000L) {
            err.println("crate ingest: " + counts);
            lastLine = System.nanoTime();
        }
    }

    void finish() {
        if (drawn) {
            err.println();
        }
    }
}
