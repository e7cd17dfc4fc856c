package ai.crate.calibration.report;

import ai.crate.calibration.CalibrationImages;
import ai.crate.calibration.Int8Verification;
import ai.crate.calibration.LayerActivations;
import ai.crate.calibration.VerificationResult;
import ai.crate.ingest.predictions.TopK;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.LayerTensors;
import ai.crate.runtime.engine.fast.FastEngine;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.quant.QuantizationTable;
import ai.crate.runtime.whitebox.CodingRate;
import ai.crate.runtime.whitebox.WhiteBoxRecorder;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything the report shows, measured on the FP32 model (and the INT8 one when a calibration table is given):
 * per-layer mean coding rate and sparsity over all images, and for the first frames their top-k predictions and
 * each head's class-token attention at one layer.
 */
record ReportMeasurements(double[] codingRate, double[] sparsity, List<Frame> frames, VerificationResult int8) {

    /** One frame shown in full: its top-k (class index, probability), INT8 top-1 (-1 without INT8), attention. */
    record Frame(int index, List<TopK.Entry> topK, int int8Top1, float[][] headAttention) {
    }

    /** What to measure: frames shown, the layer whose attention is drawn, k, threads, batch. */
    record Settings(int frames, int layer, int topK, int threads, int batch) {
    }

    static ReportMeasurements measure(CrateWeights weights, CalibrationImages images, QuantizationTable table,
            Settings settings, Runnable onBatch) {
        CrateConfig config = weights.config();
        int depth = config.depth();
        double[] codingRate = new double[depth];
        double[] sparsity = new double[depth];
        int shown = Math.min(settings.frames(), images.count());
        float[][][] attention = new float[shown][][];
        float[] logits = new float[images.count() * config.numClasses()];
        EngineOptions options = new EngineOptions(settings.threads());
        try (FastEngine fp32 = new FastEngine(weights, options)) {
            for (int from = 0; from < images.count(); from += settings.batch()) {
                int count = Math.min(settings.batch(), images.count() - from);
                int first = from;
                LayerActivations activations = new LayerActivations(weights);
                LayerObserver observer = (image, layer, tensors) -> {
                    synchronized (codingRate) {
                        codingRate[layer] += CodingRate.of(tensors.w(), tensors.tokens(), tensors.heads(),
                                tensors.dimHead());
                        sparsity[layer] += WhiteBoxRecorder.sparsity(tensors.zNext(),
                                tensors.tokens() * tensors.dim());
                        if (layer == settings.layer() && first + image < shown) {
                            attention[first + image] = classAttention(activations, tensors, config);
                        }
                    }
                };
                float[] out = fp32.forward(images.batch(from, from + count), count, observer);
                System.arraycopy(out, 0, logits, from * config.numClasses(), out.length);
                onBatch.run();
            }
        }
        for (int l = 0; l < depth; l++) {
            codingRate[l] /= images.count();
            sparsity[l] /= images.count();
        }
        int[] int8Top1 = new int[shown];
        java.util.Arrays.fill(int8Top1, -1);
        VerificationResult int8 = null;
        if (table != null) {
            try (Int8Verification verification = new Int8Verification(weights, images, options, settings.batch())) {
                int8 = verification.withOnnxRuntime(verification.measure(table), table);
            }
            try (FastEngine simulation = new FastEngine(weights, options, table)) {
                float[] out = simulation.forward(images.batch(0, shown), shown, LayerObserver.NONE);
                for (int i = 0; i < shown; i++) {
                    int8Top1[i] = TopK.of(out, i * config.numClasses(), config.numClasses(), 1).get(0).index();
                }
            }
        }
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < shown; i++) {
            frames.add(new Frame(i, TopK.of(logits, i * config.numClasses(), config.numClasses(),
                    Math.min(settings.topK(), config.numClasses())), int8Top1[i], attention[i]));
        }
        return new ReportMeasurements(codingRate, sparsity, frames, int8);
    }

    /** Each head's attention from the class token (row 0) to every patch (columns 1…N). */
    private static float[][] classAttention(LayerActivations activations, LayerTensors tensors, CrateConfig config) {
        int t = config.tokens();
        float[] scores = new float[t * t];
        float[][] heads = new float[config.heads()][];
        for (int k = 0; k < config.heads(); k++) {
            activations.attention(tensors, k, scores);
            heads[k] = java.util.Arrays.copyOfRange(scores, 1, t);
        }
        return heads;
    }
}
