package ai.crate.calibration;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.quant.QuantPoint;
import ai.crate.runtime.quant.QuantizationTable;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Calibrates a model: {@link #collect} runs an engine over the calibration images and sets every activation's range
 * with the chosen {@link CalibrationMethod}; {@link #calibrate} then verifies the INT8 model on held-out images and,
 * while top-1 agreement with FP32 is under the target, keeps the layer that hurts most in float, most sensitive first.
 */
public final class Calibration {
    private Calibration() {
    }

    /** What to calibrate with: method (and percentile), the agreement target, batch, threads, ONNX Runtime check. */
    public record Settings(CalibrationMethod method, double percentile, double targetAgreement, int batch, int threads,
            boolean onnxRuntimeCheck) {
        public Settings {
            if (!(targetAgreement > 0 && targetAgreement <= 1)) {
                throw new IllegalArgumentException("the agreement target must be in (0, 1], got " + targetAgreement);
            }
            if (batch < 1 || threads < 1) {
                throw new IllegalArgumentException("batch and threads must be >= 1");
            }
        }

        public static Settings defaults(CalibrationMethod method) {
            return new Settings(method, 99.99, 0.99, 8, Runtime.getRuntime().availableProcessors(), true);
        }
    }

    /** Hears what calibration is doing: stages as lines, long steps as counts. */
    public interface Listener {
        Listener SILENT = new Listener() {
        };

        default void stage(String message) {
        }

        default void progress(String what, int done, int total) {
        }
    }

    /** How much quantizing one layer alone costs: the logits' SQNR in dB (lower hurts more). */
    public record Sensitivity(int layer, double logitsSqnrDb) {
    }

    /** The final table, its verification, the sensitivities measured (empty when not needed). */
    public record Outcome(QuantizationTable table, VerificationResult verification, List<Sensitivity> sensitivities) {
        public boolean targetMet(double target) {
            return verification.worstAgreement() >= target;
        }
    }

    /** Activation ranges of {@code weights} over {@code images}, observed through {@code engine}. */
    public static QuantizationTable collect(CrateWeights weights, CalibrationImages images, CrateEngine engine,
            Settings settings, Listener listener) {
        ActivationCollector collector = new ActivationCollector(weights);
        for (int from = 0; from < images.count(); from += settings.batch()) {
            int count = Math.min(settings.batch(), images.count() - from);
            float[] batch = images.batch(from, from + count);
            collector.batch(batch, count);
            engine.forward(batch, count, collector);
            listener.progress("statistics", from + count, images.count());
        }
        Map<String, Float> ranges = new LinkedHashMap<>();
        for (ActivationHistogram histogram : collector.histograms().values()) {
            ranges.put(histogram.name(), (float) settings.method().amax(histogram, settings.percentile()));
        }
        return new QuantizationTable(settings.method().key(), images.count(), ranges, Set.of());
    }

    /** Collects, verifies on {@code heldOut}, and keeps layers in float until the agreement target holds. */
    public static Outcome calibrate(CrateWeights weights, CalibrationImages images, CalibrationImages heldOut,
            CrateEngine engine, Settings settings, Listener listener) {
        CrateConfig config = weights.config();
        listener.stage("collecting activation statistics on " + images.count() + " images (" + engine.name() + ")");
        QuantizationTable table = collect(weights, images, engine, settings, listener);
        EngineOptions options = new EngineOptions(settings.threads());
        try (Int8Verification verification = new Int8Verification(weights, heldOut, options, settings.batch())) {
            listener.stage("verifying INT8 against FP32 on " + heldOut.count() + " held-out images");
            VerificationResult result = check(verification, table, settings);
            List<Sensitivity> sensitivities = List.of();
            if (result.worstAgreement() < settings.targetAgreement()) {
                listener.stage(String.format("top-1 agreement %.4f is under the target %.4f: measuring each layer's"
                        + " sensitivity", result.worstAgreement(), settings.targetAgreement()));
                sensitivities = sensitivities(verification, table, config, listener);
                for (Sensitivity worst : sensitivities) {
                    table = table.withFloatLayers(Set.of(worst.layer()));
                    result = check(verification, table, settings);
                    listener.stage(String.format("%s kept in float (alone it gives %.1f dB): agreement %.4f",
                            QuantPoint.layerName(worst.layer(), config), worst.logitsSqnrDb(),
                            result.worstAgreement()));
                    if (result.worstAgreement() >= settings.targetAgreement()) {
                        break;
                    }
                }
            }
            return new Outcome(table, result, sensitivities);
        }
    }

    private static VerificationResult check(Int8Verification verification, QuantizationTable table,
            Settings settings) {
        VerificationResult result = verification.measure(table);
        return settings.onnxRuntimeCheck() ? verification.withOnnxRuntime(result, table) : result;
    }

    /** Every layer's sensitivity (embedding, layers, head), worst first. */
    private static List<Sensitivity> sensitivities(Int8Verification verification, QuantizationTable table,
            CrateConfig config, Listener listener) {
        List<Sensitivity> all = new ArrayList<>();
        Set<Integer> layers = new TreeSet<>();
        for (int l = QuantPoint.EMBEDDING; l <= config.depth(); l++) {
            layers.add(l);
        }
        int done = 0;
        for (int layer : layers) {
            if (!table.quantizesLayer(layer)) {
                continue;
            }
            Set<Integer> others = new TreeSet<>(layers);
            others.remove(layer);
            all.add(new Sensitivity(layer, verification.sensitivity(table.withFloatLayers(others))));
            listener.progress("sensitivity", ++done, layers.size());
        }
        all.sort(Comparator.comparingDouble(Sensitivity::logitsSqnrDb));
        return all;
    }
}
