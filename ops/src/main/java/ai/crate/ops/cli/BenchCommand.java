package ai.crate.ops.cli;

import ai.crate.calibration.Calibration;
import ai.crate.calibration.CalibrationImages;
import ai.crate.calibration.CalibrationMethod;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.CrateConfigJson;
import ai.crate.runtime.config.PartialConfig;
import ai.crate.runtime.config.Presets;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.engine.fast.FastEngine;
import ai.crate.runtime.engine.fast.SgemmPeak;
import ai.crate.runtime.engine.onnxruntime.OnnxRuntimeEngine;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.model.RandomWeights;
import ai.crate.runtime.onnx.GraphForm;
import ai.crate.runtime.onnx.OnnxExportOptions;
import ai.crate.runtime.quant.QuantizationTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code crate bench}: images per second of an engine on one model, warm-up excluded, with latency percentiles,
 * GFLOP/s on the reference graph's multiply-adds and GC time; {@code --compare onnxruntime} times ONNX Runtime on the
 * project's reference-graph and fused exports of the same weights in the same run (with {@code --interleave}, in
 * turns rather than one after the other); {@code --pipeline} runs the
 * streaming job on the same model, batch and threads ({@link PipelineBench}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark an engine: images/s, ms/image, p50/p99 batch latency, GFLOP/s, GC time.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--arch", paramLabel = "A", description = "A preset with random weights: tiny, small, base, large.")
    String arch;

    @Option(names = "--model", paramLabel = "M", description = "A bundle or checkpoint instead of --arch.")
    Path model;

    @Option(names = "--config", paramLabel = "C.json", description = "Config for a checkpoint given with --model.")
    Path config;

    @Option(names = "--batch", defaultValue = "8", description = "Images per call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--seconds", defaultValue = "10", description = "Timed duration (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup", defaultValue = "3", description = "Warm-up seconds, excluded (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--engine", defaultValue = Engines.AUTO, description = "Engine (default: ${DEFAULT-VALUE}).")
    String engine;

    @Option(names = "--peak", description = "Also measure the OpenBLAS sgemm peak with the same threads and print the"
            + " engine's fraction of it (folded-graph multiply-adds for the fast engine).")
    boolean peak;

    @Option(names = "--compare", paramLabel = "onnxruntime|onnxruntime-int8",
            description = "Also time ONNX Runtime, same threads, same run: onnxruntime on the reference-graph and fused"
                    + " exports; onnxruntime-int8 on the fused export and its INT8 Q/DQ graph.")
    String compare;

    @Option(names = "--interleave", paramLabel = "S", description = "With --compare onnxruntime: time the three engines"
            + " in turns of S seconds until each has --seconds, instead of one after the other, so that all of them"
            + " sample the same minutes of a machine whose speed drifts (a shared VM). Each turn's first batch starts"
            + " on caches the other engines used, so turns under 1 s favour none but cost all.")
    Double interleave;

    @Option(names = "--calibration", paramLabel = "T.json|BUNDLE",
            description = "With --compare onnxruntime-int8: the calibration table (a file, or a bundle holding"
                    + " calibration.json); default: ranges measured on the bench's own images.")
    Path calibration;

    @Option(names = "--train", description = "Time training instead: forward, backward and an SGD step per batch.")
    boolean train;

    @Option(names = "--pipeline", description = "Also run InferenceJob end to end (embedded Kafka, Flink MiniCluster)"
            + " at the same batch and threads: throughput on a backlog and latency under paced load, against the engine"
            + " alone timed before and again after the job.")
    boolean pipeline;

    @Option(names = "--frames", defaultValue = "400", description = "With --pipeline: frames in the backlog"
            + " (default: ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--frame-size", defaultValue = "256", description = "With --pipeline: side of the square JPEG"
            + " frames (default: ${DEFAULT-VALUE}).")
    int frameSize;

    @Option(names = "--max-wait-ms", defaultValue = "50", description = "With --pipeline: the job's micro-batch"
            + " wait (default: ${DEFAULT-VALUE}).")
    long maxWaitMillis;

    @Option(names = "--load", defaultValue = "0.5", description = "With --pipeline: paced rate as a fraction of"
            + " capacity for the latency run (default: ${DEFAULT-VALUE}).")
    double load;

    @Option(names = "--telemetry-every", defaultValue = "50", description = "With --pipeline: the job's white-box"
            + " sampling, 0 for off (default: ${DEFAULT-VALUE}).")
    int telemetryEvery;

    @Option(names = "--no-codes", description = "With --pipeline: publish no sparse codes (the job's default is to"
            + " publish them).")
    boolean noCodes;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT", description = "With --pipeline: run on this Kafka"
            + " cluster instead of a broker in this process (its topics crate-bench-… are created and deleted).")
    String bootstrap;

    @Override
    public Integer call() throws Exception {
        if (batch < 1 || seconds <= 0 || warmup < 0) {
            throw new IllegalArgumentException("--batch must be >= 1, --seconds > 0 and --warmup >= 0");
        }
        if (train) {
            CrateWeights weights = weights();
            System.out.println(TrainingBench.measure(weights, batch,
                    threads == null ? Runtime.getRuntime().availableProcessors() : threads, warmup, seconds)
                    .line(subject(weights)));
            return 0;
        }
        if (bootstrap != null && !pipeline) {
            throw new IllegalArgumentException("--bootstrap needs --pipeline");
        }
        if (pipeline && (frames < 50 || frameSize < 32 || load <= 0 || load > 1 || maxWaitMillis < 0
                || telemetryEvery < 0)) {
            throw new IllegalArgumentException("--frames must be at least 50, --frame-size at least 32, --load in"
                    + " (0, 1], --max-wait-ms and --telemetry-every at least 0");
        }
        if (compare != null && !compare.equals(OnnxRuntimeEngine.NAME) && !compare.equals(ONNXRUNTIME_INT8)) {
            throw new IllegalArgumentException("--compare supports onnxruntime and " + ONNXRUNTIME_INT8 + ", got '"
                    + compare + "'");
        }
        if (interleave != null && (!OnnxRuntimeEngine.NAME.equals(compare) || pipeline || peak || interleave <= 0)) {
            throw new IllegalArgumentException("--interleave needs --compare onnxruntime, without --pipeline or --peak,"
                    + " and a turn of more than 0 seconds");
        }
        CrateWeights weights = weights();
        EngineOptions options = (threads == null ? EngineOptions.defaults() : new EngineOptions(threads))
                .withBatchSizes(List.of(batch));
        float[] images = randomImages(weights.config(), batch);
        if (interleave != null) {
            compareInterleaved(weights, options, images);
            return 0;
        }
        BenchResult main;
        try (CrateEngine subject = Engines.create(engine, weights, options)) {
            main = BenchResult.measure(subject, images, batch, warmup, seconds);
        }
        System.out.println(main.line(subject(weights)));
        if (pipeline) {
            runPipeline(weights, main, () -> {
                try (CrateEngine subject = Engines.create(engine, weights, options)) {
                    return BenchResult.measure(subject, images, batch, warmup, seconds);
                }
            });
        }
        if (peak) {
            double peakGflops = SgemmPeak.measure(options.threads(), 2.0);
            long macs = main.engine().equals(FastEngine.NAME) ? FastEngine.foldedMultiplyAdds(weights.config())
                    : weights.config().multiplyAdds();
            double achieved = 2.0 * macs * main.imagesPerSecond() / 1e9;
            System.out.printf(Locale.ROOT, "peak sgemm_gflops=%.1f engine_real_gflops=%.1f fraction_of_peak=%.2f%n",
                    peakGflops, achieved, achieved / peakGflops);
        }
        if (ONNXRUNTIME_INT8.equals(compare)) {
            compareInt8(weights, options, images);
        } else if (compare != null) {
            BenchResult reference;
            try (CrateEngine ort = new OnnxRuntimeEngine(weights, options, GraphForm.REFERENCE)) {
                reference = BenchResult.measure(ort, images, batch, warmup, seconds);
            }
            System.out.println(reference.line(subject(weights) + " graph=reference"));
            BenchResult fused;
            try (CrateEngine ort = new OnnxRuntimeEngine(weights, options, GraphForm.FUSED)) {
                fused = BenchResult.measure(ort, images, batch, warmup, seconds);
            }
            System.out.println(fused.line(subject(weights) + " graph=fused"));
            printRatios(main, reference, fused);
        }
        return 0;
    }

    /** The engine and ONNX Runtime on both graphs, open together and timed in turns of {@code --interleave}. */
    private void compareInterleaved(CrateWeights weights, EngineOptions options, float[] images) throws Exception {
        try (CrateEngine subject = Engines.create(engine, weights, options);
                CrateEngine reference = new OnnxRuntimeEngine(weights, options, GraphForm.REFERENCE);
                CrateEngine fused = new OnnxRuntimeEngine(weights, options, GraphForm.FUSED)) {
            List<BenchResult> results = BenchResult.interleaved(List.of(subject, reference, fused), images, batch,
                    warmup, seconds, interleave);
            String turns = String.format(Locale.ROOT, " interleaved=%ss", interleave);
            System.out.println(results.get(0).line(subject(weights) + turns));
            System.out.println(results.get(1).line(subject(weights) + turns + " graph=reference"));
            System.out.println(results.get(2).line(subject(weights) + turns + " graph=fused"));
            printRatios(results.get(0), results.get(1), results.get(2));
        }
    }

    private static void printRatios(BenchResult main, BenchResult reference, BenchResult fused) {
        System.out.printf(Locale.ROOT, "ratio %s/onnxruntime(reference graph)=%.2f %s/onnxruntime(fused graph)=%.2f%n",
                main.engine(), main.imagesPerSecond() / reference.imagesPerSecond(), main.engine(),
                main.imagesPerSecond() / fused.imagesPerSecond());
    }

    /** ONNX Runtime on the fused FP32 graph, then on its INT8 Q/DQ graph, same images and threads. */
    private void compareInt8(CrateWeights weights, EngineOptions options, float[] images) throws Exception {
        QuantizationTable table = calibrationTable(weights, options, images);
        BenchResult fp32;
        try (CrateEngine ort = new OnnxRuntimeEngine(weights, options, GraphForm.FUSED)) {
            fp32 = BenchResult.measure(ort, images, batch, warmup, seconds);
        }
        System.out.println(fp32.line(subject(weights) + " graph=fused precision=fp32"));
        BenchResult int8;
        try (CrateEngine ort = new OnnxRuntimeEngine(weights, options, OnnxExportOptions.int8(table))) {
            int8 = BenchResult.measure(ort, images, batch, warmup, seconds);
        }
        System.out.println(int8.line(subject(weights) + " graph=fused-qdq precision=int8 float_layers="
                + table.floatLayers().size()));
        System.out.printf(Locale.ROOT, "ratio onnxruntime(int8)/onnxruntime(fp32)=%.2f%n",
                int8.imagesPerSecond() / fp32.imagesPerSecond());
    }

    private QuantizationTable calibrationTable(CrateWeights weights, EngineOptions options, float[] images)
            throws Exception {
        if (calibration != null) {
            Path file = Files.isDirectory(calibration) ? calibration.resolve(QuantizationTable.FILE) : calibration;
            QuantizationTable table = QuantizationTable.read(file);
            table.requireFor(weights.config(), file.toString());
            return table;
        }
        CalibrationImages set = new CalibrationImages(images, batch, images.length / batch, "bench images");
        try (CrateEngine fast = new FastEngine(weights, options)) {
            return Calibration.collect(weights, set, fast, Calibration.Settings.defaults(CalibrationMethod.MAX),
                    Calibration.Listener.SILENT);
        }
    }

    /**
     * The pipeline bench, its throughput against the engine alone measured before it and again after it (the mean of
     * the two, so that the VM's drift over the minute between them moves the ratio less).
     */
    private void runPipeline(CrateWeights weights, BenchResult before, Callable<BenchResult> engineAgain)
            throws Exception {
        int workers = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        PipelineBench.Result result = PipelineBench.run(new PipelineBench.Settings(weights, batch, workers,
                maxWaitMillis, frames, frameSize, seconds, load, telemetryEvery, !noCodes, bootstrap),
                before.imagesPerSecond());
        BenchResult after = engineAgain.call();
        System.out.println(after.line(subject(weights) + " measured=after-pipeline"));
        double engineAlone = (before.imagesPerSecond() + after.imagesPerSecond()) / 2;
        double batchMillis = 1000.0 * batch / engineAlone;
        double bound = maxWaitMillis + 3 * batchMillis;
        PipelineBench.Backlog backlog = result.backlog();
        System.out.printf(Locale.ROOT, "pipeline %s frame=%dx%d-jpeg codes=%s telemetry_every=%d images/s=%.2f"
                        + " engine_images/s=%.2f (before %.2f, after %.2f) ratio=%.2f mean_batch=%.1f"
                        + " inference_ms_per_batch=%.1f patchify_ms_per_frame=%.2f%n", subject(weights), frameSize,
                frameSize, noCodes ? "off" : "on", telemetryEvery, backlog.imagesPerSecond(), engineAlone,
                before.imagesPerSecond(), after.imagesPerSecond(), backlog.imagesPerSecond() / engineAlone,
                backlog.batchSize(), backlog.inferenceMillisPerBatch(), backlog.patchifyMillisPerFrame());
        PipelineBench.Latency latency = result.latency();
        System.out.printf(Locale.ROOT, "pipeline latency paced_frames/s=%.1f frames=%d p50_ms=%.1f p99_ms=%.1f"
                        + " bound_ms=%.1f (max_wait %d + 3 x batch %.1f) %s; median %s; slowest 1%% %s;"
                        + " mean_batch=%.1f%n",
                result.pacedFramesPerSecond(), latency.frames(), latency.p50Millis(), latency.p99Millis(), bound,
                maxWaitMillis, batchMillis, latency.p99Millis() <= bound ? "within" : "OVER", latency.median(),
                latency.slowest(), latency.meanBatch());
    }

    private static final String ONNXRUNTIME_INT8 = "onnxruntime-int8";

    private String subject(CrateWeights weights) {
        CrateConfig c = weights.config();
        return (arch != null ? "arch=" + arch : "model=" + model) + " batch=" + batch + " threads="
                + (threads == null ? Runtime.getRuntime().availableProcessors() : threads) + " dim=" + c.dim()
                + " depth=" + c.depth();
    }

    private CrateWeights weights() throws Exception {
        if ((arch == null) == (model == null)) {
            throw new IllegalArgumentException("give exactly one of --arch (random weights) or --model");
        }
        if (arch != null) {
            return RandomWeights.of(Presets.named(arch), 42);
        }
        Optional<PartialConfig> partial = config == null ? Optional.empty()
                : Optional.of(CrateConfigJson.readPartial(config));
        return ModelLoader.load(model, partial).weights();
    }

    private static float[] randomImages(CrateConfig config, int batch) {
        SplittableRandom random = new SplittableRandom(7);
        float[] images = new float[batch * config.channels() * config.imageHeight() * config.imageWidth()];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        return images;
    }
}
