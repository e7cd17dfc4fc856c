package ai.crate.ops.cli;

import ai.crate.calibration.Calibration;
import ai.crate.calibration.CalibrationImages;
import ai.crate.calibration.CalibrationMethod;
import ai.crate.calibration.CalibrationOutputs;
import ai.crate.calibration.CalibrationSources;
import ai.crate.calibration.LayerComparison;
import ai.crate.calibration.VerificationResult;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.quant.QuantPoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code crate calibrate}: INT8 ranges from a calibration set, verified against FP32, written as Q/DQ ONNX or bundle. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = {"Calibrate the model for INT8: activation ranges from --data, a Q/DQ ONNX model (TensorRT 10,"
                + " ONNX Runtime), a JSON table and a TensorRT calibration cache, verified against FP32 on held-out"
                + " images, with the layers that hurt most kept in float until --target-agreement holds.",
                "Nothing is written unless the data reads completely and the target is met."})
final class CalibrateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--data", required = true, paramLabel = "SRC",
            description = "A video file or stream URI, an image directory, a float32 [N, C, H, W] .npy,"
                    + " kafka://HOST:PORT/TOPIC (frames from the beginning) or shapes[:N[:SEED]].")
    String data;

    @Option(names = "--method", defaultValue = "entropy", paramLabel = "entropy|percentile|max|mse",
            description = "How ranges are chosen (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--percentile", defaultValue = "99.99", paramLabel = "P",
            description = "With --method percentile: the magnitude percentile kept (default: ${DEFAULT-VALUE}).")
    double percentile;

    @Option(names = "--output", required = true, paramLabel = "OUT",
            description = "OUT.onnx (with OUT.calibration.json and OUT.calibration.cache beside it) or a new bundle"
                    + " directory (a copy of --model's bundle with model-int8.onnx, calibration.json,"
                    + " calibration.cache).")
    Path output;

    @Option(names = "--target-agreement", defaultValue = "0.99", paramLabel = "A",
            description = "Top-1 agreement with FP32 to reach on the held-out images (default: ${DEFAULT-VALUE}).")
    double targetAgreement;

    @Option(names = "--max-images", defaultValue = "512", paramLabel = "N",
            description = "Images read from --data, spread over it (default: ${DEFAULT-VALUE}).")
    int maxImages;

    @Option(names = "--holdout", defaultValue = "0.2", paramLabel = "F",
            description = "Fraction of --data held out for verification, unless --verify-data is given"
                    + " (default: ${DEFAULT-VALUE}).")
    double holdout;

    @Option(names = "--verify-data", paramLabel = "SRC", description = "Separate verification images (same forms"
            + " as --data).")
    String verifyData;

    @Option(names = "--engine", defaultValue = "fast", paramLabel = "fast|reference",
            description = "CPU engine that runs the calibration images (default: ${DEFAULT-VALUE}).")
    String engine;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--batch-size", defaultValue = "8", description = "Images per engine call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--no-onnxruntime-check",
            description = "Verify with the Java INT8 simulation only, not also ONNX Runtime on the Q/DQ graph.")
    boolean noOnnxRuntimeCheck;

    @Override
    public Integer call() throws Exception {
        CalibrationMethod calibrationMethod = CalibrationMethod.fromKey(method);
        LoadedModel model = modelOptions.load();
        CrateConfig config = model.config();
        CalibrationOutputs.check(output, modelOptions.model);
        PreprocessSpec spec = new PreprocessSpec(model.preprocessing(), ResizeMode.SHORTER_SIDE);
        CalibrationImages calibration = read("calibration data", data, spec);
        CalibrationImages heldOut;
        if (verifyData != null) {
            heldOut = read("verification data", verifyData, spec);
        } else {
            CalibrationImages[] parts = calibration.split(holdout);
            calibration = parts[0];
            heldOut = parts[1];
        }
        int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        Calibration.Settings settings = new Calibration.Settings(calibrationMethod, percentile, targetAgreement,
                batchSize, workers, !noOnnxRuntimeCheck);
        Calibration.Outcome outcome;
        long start = System.nanoTime();
        try (CrateEngine runner = Engines.create(engine, model.weights(), new EngineOptions(workers))) {
            outcome = Calibration.calibrate(model.weights(), calibration, heldOut, runner, settings, new Listener());
        }
        System.err.println();
        print(outcome.verification(), config);
        if (!outcome.targetMet(targetAgreement)) {
            System.err.printf("calibrate: %s: top-1 agreement %.4f is under the target %.4f even with %s in float;"
                    + " nothing written (try another --method or more --data)%n", modelOptions.model,
                    outcome.verification().worstAgreement(), targetAgreement, outcome.table().floatLayers());
            return 1;
        }
        List<Path> written = CalibrationOutputs.write(model.weights(), outcome.table(), modelOptions.model, output);
        System.out.printf("wrote %s (%s calibration on %d images, float layers %s, %.1f s)%n",
                written.stream().map(Path::toString).collect(Collectors.joining(", ")), calibrationMethod.key(),
                calibration.count(), floatLayers(outcome.table().floatLayers(), config),
                (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private CalibrationImages read(String what, String source, PreprocessSpec spec) throws Exception {
        System.err.printf("reading %s from %s%n", what, source);
        CalibrationImages images = CalibrationSources.read(source, spec, maxImages,
                n -> System.err.printf("\r  %d images", n));
        System.err.printf("\r  %s: %d images%n", images.source(), images.count());
        return images;
    }

    private static void print(VerificationResult result, CrateConfig config) {
        System.out.printf("top-1 agreement with FP32 on %d held-out images: %.4f (Java INT8 simulation), %s (ONNX"
                + " Runtime, Q/DQ graph); the two INT8 paths agree on %s; logits SQNR %.1f dB%n", result.images(),
                result.agreement(), format(result.onnxRuntimeAgreement()), format(result.int8PathsAgreement()),
                result.logitsSqnrDb());
        System.out.println("layer      SQNR dB   coding rate fp32 → int8   sparsity fp32 → int8");
        for (LayerComparison layer : result.layers()) {
            System.out.printf("%-9s %8.1f   %9.2f → %-9.2f      %.3f → %.3f%s%n", "layer " + layer.layer(),
                    layer.sqnrDb(), layer.codingRateFp32(), layer.codingRateInt8(), layer.sparsityFp32(),
                    layer.sparsityInt8(), result.floatLayers().contains(layer.layer()) ? "   (float)" : "");
        }
    }

    private static String format(double value) {
        return Double.isNaN(value) ? "not measured" : String.format("%.4f", value);
    }

    private static String floatLayers(java.util.Set<Integer> layers, CrateConfig config) {
        return layers.isEmpty() ? "none" : layers.stream().map(l -> QuantPoint.layerName(l, config))
                .collect(Collectors.joining(", "));
    }

    /** Stages as lines on stderr, counts as a line rewritten in place. */
    private static final class Listener implements Calibration.Listener {
        @Override
        public void stage(String message) {
            System.err.println("\r" + message);
        }

        @Override
        public void progress(String what, int done, int total) {
            System.err.printf("\r  %s %d/%d", what, done, total);
        }
    }
}
