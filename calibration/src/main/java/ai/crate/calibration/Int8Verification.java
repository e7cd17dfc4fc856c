package ai.crate.calibration;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.LayerTensors;
import ai.crate.runtime.engine.fast.FastEngine;
import ai.crate.runtime.engine.onnxruntime.OnnxRuntimeEngine;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.onnx.OnnxExportOptions;
import ai.crate.runtime.quant.QuantizationTable;
import ai.crate.runtime.whitebox.CodingRate;
import ai.crate.runtime.whitebox.WhiteBoxRecorder;

import java.util.ArrayList;
import java.util.List;

/**
 * Compares INT8 with FP32 on held-out images. The FP32 logits and per-layer measurements are computed once; each
 * {@link #measure} runs the Java simulation of one quantization table, recomputing FP32 batch by batch beside it to
 * compare every layer's output without holding all of them, and {@link #withOnnxRuntime} also runs ONNX Runtime on
 * its Q/DQ graph. Holds the FP32 engine: close it.
 */
public final class Int8Verification implements AutoCloseable {
    private final CrateWeights weights;
    private final CrateConfig config;
    private final CalibrationImages images;
    private final EngineOptions options;
    private final int batch;
    private final float[] fp32Logits;
    private final LayerSums fp32Layers;
    private final FastEngine fp32;

    public Int8Verification(CrateWeights weights, CalibrationImages images, EngineOptions options, int batch) {
        this.weights = weights;
        this.config = weights.config();
        this.images = images;
        this.options = options;
        this.batch = batch;
        this.fp32Logits = new float[images.count() * config.numClasses()];
        this.fp32Layers = new LayerSums(config.depth());
        this.fp32 = new FastEngine(weights, options);
        run(fp32, fp32Logits, (from, count) -> new Recorder(fp32Layers, null));
    }

    /** The Java INT8 simulation of {@code table} against FP32, with per-layer comparisons. */
    public VerificationResult measure(QuantizationTable table) {
        float[] logits = new float[fp32Logits.length];
        LayerSums int8Layers = new LayerSums(config.depth());
        try (FastEngine int8 = new FastEngine(weights, options, table)) {
            run(int8, logits, (from, count) -> new Recorder(int8Layers, fp32Reference(from, count)));
        }
        List<LayerComparison> layers = new ArrayList<>();
        for (int l = 0; l < config.depth(); l++) {
            layers.add(new LayerComparison(l, decibels(int8Layers.signal[l], int8Layers.noise[l]),
                    fp32Layers.codingRate[l] / images.count(), int8Layers.codingRate[l] / images.count(),
                    fp32Layers.sparsity[l] / images.count(), int8Layers.sparsity[l] / images.count()));
        }
        return new VerificationResult(images.count(), agreement(fp32Logits, logits), Double.NaN, Double.NaN,
                sqnr(fp32Logits, logits), layers, table.floatLayers());
    }

    /** {@code result} with ONNX Runtime's agreement on the Q/DQ graph of {@code table} added. */
    public VerificationResult withOnnxRuntime(VerificationResult result, QuantizationTable table) {
        float[] ort = new float[fp32Logits.length];
        float[] java = new float[fp32Logits.length];
        try (CrateEngine engine = new OnnxRuntimeEngine(weights, options, OnnxExportOptions.int8(table));
                FastEngine simulation = new FastEngine(weights, options, table)) {
            run(engine, ort, null);
            run(simulation, java, null);
        }
        return new VerificationResult(result.images(), result.agreement(), agreement(fp32Logits, ort),
                agreement(java, ort), result.logitsSqnrDb(), result.layers(), result.floatLayers());
    }

    /** The logits' SQNR when only {@code layer} is quantized: how much that layer alone hurts. */
    double sensitivity(QuantizationTable onlyLayer) {
        float[] logits = new float[fp32Logits.length];
        try (FastEngine int8 = new FastEngine(weights, options, onlyLayer)) {
            run(int8, logits, null);
        }
        return sqnr(fp32Logits, logits);
    }

    private void run(CrateEngine engine, float[] logits, ObserverFactory observers) {
        int classes = config.numClasses();
        for (int from = 0; from < images.count(); from += batch) {
            int count = Math.min(batch, images.count() - from);
            LayerObserver observer = observers == null ? LayerObserver.NONE : observers.create(from, count);
            float[] out = engine.forward(images.batch(from, from + count), count, observer);
            System.arraycopy(out, 0, logits, from * classes, count * classes);
        }
    }

    /** The FP32 outputs of the batch starting at {@code from}, per layer and image, recomputed for comparison. */
    private float[][][] fp32Reference(int from, int count) {
        float[][][] outputs = new float[config.depth()][count][];
        fp32.forward(images.batch(from, from + count), count, (image, layer, tensors) ->
                outputs[layer][image] = tensors.zNext().clone());
        return outputs;
    }

    static double agreement(float[] expected, float[] actual, int classes) {
        int images = expected.length / classes;
        int same = 0;
        for (int i = 0; i < images; i++) {
            if (argmax(expected, i * classes, classes) == argmax(actual, i * classes, classes)) {
                same++;
            }
        }
        return (double) same / images;
    }

    private double agreement(float[] expected, float[] actual) {
        return agreement(expected, actual, config.numClasses());
    }

    private static int argmax(float[] values, int offset, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (values[offset + i] > values[offset + best]) {
                best = i;
            }
        }
        return best;
    }

    static double sqnr(float[] signal, float[] quantized) {
        double s = 0;
        double n = 0;
        for (int i = 0; i < signal.length; i++) {
            s += (double) signal[i] * signal[i];
            double e = signal[i] - quantized[i];
            n += e * e;
        }
        return decibels(s, n);
    }

    private static double decibels(double signal, double noise) {
        return noise == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(signal / noise);
    }

    @Override
    public void close() {
        fp32.close();
    }

    @FunctionalInterface
    private interface ObserverFactory {
        LayerObserver create(int from, int count);
    }

    /** Per-layer totals over the images: coding rate, sparsity, and against a reference the signal and noise. */
    private static final class LayerSums {
        final double[] codingRate;
        final double[] sparsity;
        final double[] signal;
        final double[] noise;

        LayerSums(int depth) {
            codingRate = new double[depth];
            sparsity = new double[depth];
            signal = new double[depth];
            noise = new double[depth];
        }
    }

    /** Adds each observed layer to {@link LayerSums}; with FP32 outputs given, also the quantization noise. */
    private final class Recorder implements LayerObserver {
        private final LayerSums sums;
        private final float[][][] reference;

        Recorder(LayerSums sums, float[][][] reference) {
            this.sums = sums;
            this.reference = reference;
        }

        @Override
        public synchronized void onLayer(int image, int layer, LayerTensors tensors) {
            sums.codingRate[layer] += CodingRate.of(tensors.w(), tensors.tokens(), tensors.heads(), tensors.dimHead());
            int n = tensors.tokens() * tensors.dim();
            sums.sparsity[layer] += WhiteBoxRecorder.sparsity(tensors.zNext(), n);
            if (reference != null) {
                float[] expected = reference[layer][image];
                float[] actual = tensors.zNext();
                for (int i = 0; i < n; i++) {
                    sums.signal[layer] += (double) expected[i] * expected[i];
                    double e = expected[i] - actual[i];
                    sums.noise[layer] += e * e;
                }
            }
        }
    }
}
