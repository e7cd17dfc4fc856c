package ai.crate.runtime.train;

/**
 * How to train: batch size, number of steps (one batch each), whether to shuffle (a fresh permutation per epoch,
 * from the seed), label smoothing, gradient clipping (max L2 norm over all trained gradients, 0 for none), the
 * learning-rate schedule, threads, and the seed.
 */
public record TrainingSettings(int batch, long steps, boolean shuffle, float labelSmoothing, double clipNorm,
                               LearningRateSchedule schedule, int threads, long seed) {
    public TrainingSettings {
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("training needs at least one step, got " + steps);
        }
        if (labelSmoothing < 0 || labelSmoothing >= 1) {
            throw new IllegalArgumentException("--label-smoothing must be in [0, 1), got " + labelSmoothing);
        }
        if (clipNorm < 0) {
            throw new IllegalArgumentException("--clip-grad must not be negative, got " + clipNorm);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        }
    }

    /** Steps in {@code epochs} passes over {@code size} images (the last batch of an epoch may be smaller). */
    public static long stepsForEpochs(int epochs, int size, int batch) {
        return (long) epochs * ((size + batch - 1) / batch);
    }
}
