package ai.crate.runtime.train;

import ai.crate.runtime.model.WeightKeys;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Exact gradients of the batch-mean cross-entropy of a {@link TrainableCrate}, data-parallel: the batch is split into
 * one contiguous chunk per thread, each chunk fills its own {@link Gradients}, and the chunks are summed in order, so
 * a result depends on the thread count but never on timing. Close to stop the threads.
 */
public final class Backprop implements AutoCloseable {
    private final TrainableCrate model;
    private final int threads;
    private final ExecutorService pool;
    private final List<ImagePass> passes = new ArrayList<>();
    private final List<Gradients> partial = new ArrayList<>();

    /** What one batch gave: the mean loss and how many images the model already classified correctly. */
    public record BatchResult(double loss, int correct, int images) {
    }

    public Backprop(TrainableCrate model, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.model = model;
        this.threads = threads;
        this.pool = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "crate-train");
            thread.setDaemon(true);
            return thread;
        });
        for (int i = 0; i < threads; i++) {
            passes.add(new ImagePass(model));
            partial.add(new Gradients(model));
        }
    }

    /**
     * The gradients of the mean loss over {@code batch} images ({@code [B, C, H, W]}, normalised) with integer
     * labels, written into {@code into}. {@code smoothing} is PyTorch's {@code label_smoothing}.
     */
    public BatchResult gradients(float[] images, int[] labels, int batch, float smoothing, Gradients into) {
        int classes = model.config().numClasses();
        for (int i = 0; i < batch; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("label " + labels[i] + " of image " + i + " is outside 0.."
                        + (classes - 1));
            }
        }
        int chunks = Math.min(threads, batch);
        float weight = 1f / batch;
        List<Future<double[]>> results = new ArrayList<>();
        for (int c = 0; c < chunks; c++) {
            int from = c * batch / chunks;
            int to = (c + 1) * batch / chunks;
            ImagePass pass = passes.get(c);
            Gradients grads = partial.get(c);
            results.add(pool.submit(() -> {
                grads.clear();
                double loss = 0;
                int correct = 0;
                for (int i = from; i < to; i++) {
                    loss += pass.train(images, i, labels[i], smoothing, weight, grads);
                    if (pass.predicted() == labels[i]) {
                        correct++;
                    }
                }
                return new double[] {loss, correct};
            }));
        }
        into.clear();
        double loss = 0;
        int correct = 0;
        for (int c = 0; c < chunks; c++) {
            double[] result = await(results.get(c));
            loss += result[0];
            correct += (int) result[1];
            into.add(partial.get(c));
        }
        finishDictionaryGradients(into);
        return new BatchResult(loss / batch, correct, batch);
    }

    /** Logits {@code [B, classes]} of a batch (no gradients). */
    public float[] logits(float[] images, int batch) {
        int classes = model.config().numClasses();
        float[] out = new float[batch * classes];
        int chunks = Math.min(threads, batch);
        List<Future<double[]>> results = new ArrayList<>();
        for (int c = 0; c < chunks; c++) {
            int from = c * batch / chunks;
            int to = (c + 1) * batch / chunks;
            ImagePass pass = passes.get(c);
            results.add(pool.submit(() -> {
                for (int i = from; i < to; i++) {
                    pass.logits(images, i, out, i * classes);
                }
                return new double[0];
            }));
        }
        for (Future<double[]> result : results) {
            await(result);
        }
        return out;
    }

    /**
     * The passes leave {@code G = Σ yᵀ·dg} in each dictionary's slot; the dictionary's gradient is
     * {@code η·(G − D·G − D·Gᵀ)} (from {@code y·D} and {@code −y·Dᵀ·D}).
     */
    private void finishDictionaryGradients(Gradients grads) {
        int d = model.config().dim();
        float eta = model.config().ista();
        float[] scratch = new float[d * d];
        for (int l = 0; l < model.config().depth(); l++) {
            int index = model.indexOf(WeightKeys.ista(l));
            float[] g = grads.get(index);
            float[] dictionary = model.parameters().get(index).values();
            for (int i = 0; i < d * d; i++) {
                scratch[i] = eta * g[i];
            }
            Gemm.mm(false, false, d, d, d, -eta, dictionary, 0, d, g, 0, d, 1f, scratch, 0, d);
            Gemm.mm(false, true, d, d, d, -eta, dictionary, 0, d, g, 0, d, 1f, scratch, 0, d);
            System.arraycopy(scratch, 0, g, 0, d * d);
        }
    }

    private static double[] await(Future<double[]> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while computing gradients", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(cause);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
