package ai.crate.runtime.train;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.SplittableRandom;

/**
 * The training loop: batches drawn in order or from a per-epoch permutation of the seed, gradients from
 * {@link Backprop}, optional clipping, one {@link Optimizer} step per batch at the schedule's rate. Which parameters
 * train is set on the model beforehand ({@link Freezing}). Resumes from any step: batches depend only on the seed
 * and the step number.
 */
public final class Trainer {
    private static final int RECENT = 50;
    private final TrainingSettings settings;
    private final Optimizer optimizer;

    public Trainer(TrainingSettings settings, Optimizer optimizer) {
        this.settings = settings;
        this.optimizer = optimizer;
    }

    /**
     * Trains {@code model} from step {@code optimizer.steps() + 1} up to {@code settings.steps()}.
     *
     * @return the last step's progress
     */
    public TrainingListener.Progress train(TrainableCrate model, TrainingSet data, TrainingListener listener) {
        int size = data.size();
        if (size == 0) {
            throw new IllegalArgumentException("the training set " + data.describe() + " is empty");
        }
        int expected = model.config().channels() * model.config().imageHeight() * model.config().imageWidth();
        if (data.imageFloats() != expected) {
            throw new IllegalArgumentException(data.describe() + " yields images of " + data.imageFloats()
                    + " values; the model takes " + expected);
        }
        int batch = settings.batch();
        long stepsPerEpoch = (size + batch - 1) / batch;
        float[] images = new float[batch * expected];
        int[] labels = new int[batch];
        Gradients gradients = new Gradients(model);
        Deque<double[]> recent = new ArrayDeque<>();
        double recentLoss = 0;
        double recentCorrect = 0;
        int recentImages = 0;
        long startNanos = System.nanoTime();
        long startStep = optimizer.steps();
        long imagesSeen = 0;
        TrainingListener.Progress last = null;
        try (Backprop backprop = new Backprop(model, settings.threads())) {
            int[] order = null;
            long orderEpoch = -1;
            for (long step = startStep + 1; step <= settings.steps(); step++) {
                long epoch = (step - 1) / stepsPerEpoch;
                int start = (int) ((step - 1) % stepsPerEpoch) * batch;
                int count = Math.min(batch, size - start);
                if (settings.shuffle() && epoch != orderEpoch) {
                    order = permutation(size, settings.seed(), epoch);
                    orderEpoch = epoch;
                }
                for (int i = 0; i < count; i++) {
                    int index = settings.shuffle() ? order[start + i] : start + i;
                    data.image(index, images, i * expected);
                    labels[i] = data.label(index);
                }
                Backprop.BatchResult result = backprop.gradients(images, labels, count, settings.labelSmoothing(),
                        gradients);
                if (!Double.isFinite(result.loss())) {
                    throw new IllegalStateException("the loss became " + result.loss() + " at step " + step
                            + "; lower the learning rate or enable --clip-grad");
                }
                if (settings.clipNorm() > 0) {
                    clip(gradients, model, settings.clipNorm());
                }
                double lr = settings.schedule().at(step);
                optimizer.step(model.parameters(), gradients, lr);

                imagesSeen += count;
                recent.addLast(new double[] {result.loss() * count, result.correct(), count});
                recentLoss += result.loss() * count;
                recentCorrect += result.correct();
                recentImages += count;
                if (recent.size() > RECENT) {
                    double[] old = recent.removeFirst();
                    recentLoss -= old[0];
                    recentCorrect -= old[1];
                    recentImages -= (int) old[2];
                }
                double seconds = (System.nanoTime() - startNanos) / 1e9;
                double rate = imagesSeen / Math.max(seconds, 1e-9);
                double stepsPerSecond = (step - startStep) / Math.max(seconds, 1e-9);
                last = new TrainingListener.Progress(step, settings.steps(), result.loss(),
                        (double) result.correct() / count, recentLoss / recentImages, recentCorrect / recentImages,
                        lr, rate, (settings.steps() - step) / stepsPerSecond);
                listener.step(last);
            }
        }
        return last;
    }

    /** {@code torch.nn.utils.clip_grad_norm_}: scales the trained gradients when their L2 norm exceeds {@code max}. */
    private static void clip(Gradients gradients, TrainableCrate model, double max) {
        double sum = 0;
        for (int i = 0; i < gradients.count(); i++) {
            if (!model.parameters().get(i).trainable()) {
                continue;
            }
            for (float g : gradients.get(i)) {
                sum += (double) g * g;
            }
        }
        double coefficient = max / (Math.sqrt(sum) + 1e-6);
        if (coefficient < 1) {
            gradients.scale((float) coefficient);
        }
    }

    /** The order of epoch {@code epoch}: a Fisher-Yates shuffle seeded by the run's seed and the epoch. */
    static int[] permutation(int size, long seed, long epoch) {
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }
}
