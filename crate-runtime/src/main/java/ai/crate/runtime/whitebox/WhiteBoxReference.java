package ai.crate.runtime.whitebox;

import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.train.TrainingSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a model's layers normally look like: per layer, the mean and standard deviation of the coding rate and the
 * sparsity over {@code images} images of a data set ({@code source} says which), and the covariance of those
 * {@code 2·depth} figures across images (coding rates of layers 0…L−1, then sparsities). Stored in the bundle's
 * manifest and compared with live measurements to detect drift ({@link DriftDetector}). Build one with
 * {@link #measure}.
 */
public record WhiteBoxReference(String source, int images, List<LayerStats> layers, double[][] covariance) {

    public WhiteBoxReference {
        layers = List.copyOf(layers);
        int k = 2 * layers.size();
        if (covariance.length != k || Arrays.stream(covariance).anyMatch(row -> row.length != k)) {
            throw new IllegalArgumentException("a white-box reference of " + layers.size() + " layers needs a " + k
                    + "×" + k + " covariance");
        }
    }

    /** The reference means in the covariance's order: coding rates of every layer, then sparsities. */
    public double[] means() {
        int depth = layers.size();
        double[] means = new double[2 * depth];
        for (int l = 0; l < depth; l++) {
            means[l] = layers.get(l).codingRateMean();
            means[depth + l] = layers.get(l).sparsityMean();
        }
        return means;
    }

    /** Measures every layer of the first {@code count} images of {@code data}, {@code batch} at a time. */
    public static WhiteBoxReference measure(CrateEngine engine, TrainingSet data, int count, int batch) {
        int depth = engine.config().depth();
        int n = Math.min(count, data.size());
        if (n < 4 * depth) {
            throw new IllegalArgumentException("a white-box reference of a " + depth + "-layer model needs at least "
                    + 4 * depth + " images, " + data.describe() + " gives " + n);
        }
        double[][] figures = new double[n][2 * depth];
        float[] images = new float[batch * data.imageFloats()];
        for (int start = 0; start < n; start += batch) {
            int size = Math.min(batch, n - start);
            for (int i = 0; i < size; i++) {
                data.image(start + i, images, i * data.imageFloats());
            }
            float[] input = size == batch ? images : Arrays.copyOf(images, size * data.imageFloats());
            WhiteBoxRecorder recorder = new WhiteBoxRecorder(depth, size);
            engine.forward(input, size, recorder);
            for (int l = 0; l < depth; l++) {
                double[] rates = recorder.codingRates(l);
                double[] zeros = recorder.sparsities(l);
                for (int i = 0; i < size; i++) {
                    figures[start + i][l] = rates[i];
                    figures[start + i][depth + l] = zeros[i];
                }
            }
        }
        int k = 2 * depth;
        double[] mean = new double[k];
        for (double[] f : figures) {
            for (int j = 0; j < k; j++) {
                mean[j] += f[j] / n;
            }
        }
        double[][] covariance = new double[k][k];
        for (double[] f : figures) {
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    covariance[i][j] += (f[i] - mean[i]) * (f[j] - mean[j]) / (n - 1);
                }
            }
        }
        List<LayerStats> layers = new ArrayList<>();
        for (int l = 0; l < depth; l++) {
            layers.add(new LayerStats(l, mean[l], Math.sqrt(covariance[l][l]), mean[depth + l],
                    Math.sqrt(covariance[depth + l][depth + l])));
        }
        return new WhiteBoxReference(data.describe(), n, layers, covariance);
    }
}
