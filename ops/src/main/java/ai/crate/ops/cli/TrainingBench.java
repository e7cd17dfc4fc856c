package ai.crate.ops.cli;

import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.train.Backprop;
import ai.crate.runtime.train.Gradients;
import ai.crate.runtime.train.Optimizer;
import ai.crate.runtime.train.TrainableCrate;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code bin/crate bench --train}: training throughput, forward + backward + an SGD step per batch of random images
 * and labels, after a warm-up; the figure {@code docs/performance.md} sets beside PyTorch's.
 */
record TrainingBench(double imagesPerSecond, double millisPerStep, long steps) {

    static TrainingBench measure(CrateWeights weights, int batch, int threads, double warmupSeconds, double seconds) {
        TrainableCrate model = TrainableCrate.of(weights);
        int floats = weights.config().channels() * weights.config().imageHeight() * weights.config().imageWidth();
        SplittableRandom random = new SplittableRandom(7);
        float[] images = new float[batch * floats];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = random.nextInt(weights.config().numClasses());
        }
        Optimizer sgd = Optimizer.create(Optimizer.Settings.defaults("sgd"));
        Gradients gradients = new Gradients(model);
        try (Backprop backprop = new Backprop(model, threads)) {
            long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            do {
                step(backprop, sgd, model, images, labels, batch, gradients);
            } while (System.nanoTime() < warmupEnd);
            long start = System.nanoTime();
            long steps = 0;
            while (System.nanoTime() - start < seconds * 1e9) {
                step(backprop, sgd, model, images, labels, batch, gradients);
                steps++;
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            return new TrainingBench(steps * batch / elapsed, 1000 * elapsed / steps, steps);
        }
    }

    private static void step(Backprop backprop, Optimizer sgd, TrainableCrate model, float[] images, int[] labels,
                             int batch, Gradients gradients) {
        backprop.gradients(images, labels, batch, 0f, gradients);
        sgd.step(model.parameters(), gradients, 1e-4);
    }

    String line(String subject) {
        return String.format(Locale.ROOT, "train %s images/s=%.2f ms/step=%.0f steps=%d", subject, imagesPerSecond,
                millisPerStep, steps);
    }
}
