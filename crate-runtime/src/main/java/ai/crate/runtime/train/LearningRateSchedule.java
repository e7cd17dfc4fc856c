package ai.crate.runtime.train;

import java.util.Locale;

/**
 * The learning rate at each step (1-based): {@code constant}, or {@code cosine}: linear warm-up from lr/warmup to lr
 * over {@code warmup} steps, then a half cosine down to {@code minLr} at the last step.
 */
public record LearningRateSchedule(String kind, double lr, long warmup, long totalSteps, double minLr) {
    public LearningRateSchedule {
        kind = kind.toLowerCase(Locale.ROOT);
        if (!kind.equals("constant") && !kind.equals("cosine")) {
            throw new IllegalArgumentException("unknown schedule '" + kind + "'; expected constant or cosine");
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("the learning rate must be positive, got " + lr);
        }
        if (warmup < 0 || totalSteps < 1 || minLr < 0) {
            throw new IllegalArgumentException("warm-up, total steps and minimum learning rate must not be negative");
        }
    }

    public static LearningRateSchedule constant(double lr) {
        return new LearningRateSchedule("constant", lr, 0, 1, 0);
    }

    public double at(long step) {
        if (kind.equals("constant")) {
            return lr;
        }
        if (step <= warmup) {
            return lr * step / Math.max(1, warmup);
        }
        double progress = (double) (step - warmup) / Math.max(1, totalSteps - warmup);
        return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * Math.min(1.0, progress)));
    }
}
