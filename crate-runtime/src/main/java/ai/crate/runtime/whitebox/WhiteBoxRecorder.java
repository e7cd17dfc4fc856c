package ai.crate.runtime.whitebox;

import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.LayerTensors;

import java.util.ArrayList;
import java.util.List;

/**
 * Measures every layer of every image during a forward pass: pass it as the observer of
 * {@link ai.crate.runtime.engine.CrateEngine#forward(float[], int, LayerObserver)}, then read {@link #stats()}. Only
 * two numbers per layer and image are kept, so batches of any size fit. Safe for the engine's parallel calls: each
 * image writes its own slots.
 */
public final class WhiteBoxRecorder implements LayerObserver {
    private final double[][] codingRate;
    private final double[][] sparsity;

    public WhiteBoxRecorder(int depth, int batch) {
        codingRate = new double[depth][batch];
        sparsity = new double[depth][batch];
    }

    @Override
    public void onLayer(int image, int layer, LayerTensors tensors) {
        codingRate[layer][image] = CodingRate.of(tensors.w(), tensors.tokens(), tensors.heads(), tensors.dimHead());
        sparsity[layer][image] = sparsity(tensors.zNext(), tensors.tokens() * tensors.dim());
    }

    /** Per-layer statistics over the images seen. */
    public List<LayerStats> stats() {
        List<LayerStats> stats = new ArrayList<>();
        for (int l = 0; l < codingRate.length; l++) {
            stats.add(new LayerStats(l, mean(codingRate[l]), std(codingRate[l], 1), mean(sparsity[l]),
                    std(sparsity[l], 0)));
        }
        return stats;
    }

    /** The per-image coding rates of one layer. */
    public double[] codingRates(int layer) {
        return codingRate[layer].clone();
    }

    /** The per-image sparsities of one layer. */
    public double[] sparsities(int layer) {
        return sparsity[layer].clone();
    }

    /** The fraction of exact zeros among the first {@code count} values of {@code z}. */
    public static double sparsity(float[] z, int count) {
        int zeros = 0;
        for (int i = 0; i < count; i++) {
            if (z[i] == 0f) {
                zeros++;
            }
        }
        return (double) zeros / count;
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    private static double std(double[] values, int correction) {
        int n = values.length;
        if (n - correction <= 0) {
            return Double.NaN;
        }
        double mean = mean(values);
        double squares = 0;
        for (double v : values) {
            squares += (v - mean) * (v - mean);
        }
        return Math.sqrt(squares / (n - correction));
    }
}
