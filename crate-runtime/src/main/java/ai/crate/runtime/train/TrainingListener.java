package ai.crate.runtime.train;

/** Hears about each training step, from the training thread. */
@FunctionalInterface
public interface TrainingListener {
    TrainingListener NONE = progress -> { };

    void step(Progress progress);

    /**
     * After step {@code step} of {@code total}: that batch's mean loss and accuracy (before its update), a running
     * mean of both over the last 50 steps, the learning rate used, and the throughput so far.
     */
    record Progress(long step, long total, double loss, double accuracy, double recentLoss, double recentAccuracy,
                    double lr, double imagesPerSecond, double secondsLeft) {
    }
}
