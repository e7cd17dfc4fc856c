package ai.crate.ops.cli;

import ai.crate.runtime.train.TrainingListener;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress on standard error: a bar with loss, accuracy, images/s and time left, redrawn in place on a
 * terminal, a line every ten seconds otherwise.
 */
final class TrainingBar {
    private static final int WIDTH = 24;
    private final boolean quiet;
    private final boolean terminal = System.console() != null;
    private final PrintStream err = System.err;
    private long lastLine;
    private long lastDraw;
    private boolean drawn;

    TrainingBar(boolean quiet) {
        this.quiet = quiet;
    }

    void update(TrainingListener.Progress p) {
        if (quiet) {
            return;
        }
        long now = System.nanoTime();
        boolean lastStep = p.step() == p.total();
        String text = String.format(Locale.ROOT, "step %d/%d  loss %.4f  acc %5.1f%%  lr %.2e  %.1f img/s  ETA %s",
                p.step(), p.total(), p.recentLoss(), 100 * p.recentAccuracy(), p.lr(), p.imagesPerSecond(),
                duration(p.secondsLeft()));
        if (terminal) {
            if (now - lastDraw < 200_000_000L && !lastStep) {
                return;
            }
            int filled = (int) Math.round((double) p.step() / p.total() * WIDTH);
            err.print("\r[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + text + "  ");
            lastDraw = now;
            drawn = true;
        } else if (now - lastLine > 10_000_000_000L || lastStep || p.step() == 1) {
            err.println("crate train: " + text);
            lastLine = now;
        }
    }

    void finish() {
        if (drawn) {
            err.println();
        }
    }

    private static String duration(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
