package ai.crate.ops.cli;

import ai.crate.flink.InferenceJob;
import ai.crate.flink.InferenceOptions;
import ai.crate.ingest.FrameLabels;
import ai.crate.ingest.IngestException;
import ai.crate.ingest.IngestProgress;
import ai.crate.ingest.IngestRequest;
import ai.crate.ingest.IngestSettings;
import ai.crate.ingest.IngestSummary;
import ai.crate.ingest.Ingestion;
import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.broker.PipelineTopics;
import ai.crate.ingest.source.SourceSettings;
import ai.crate.ingest.video.VideoWriter;
import ai.crate.patchify.FrameFormat;
import ai.crate.patchify.shapes.ShapeClass;
import ai.crate.patchify.shapes.ShapesClip;
import ai.crate.patchify.shapes.ShapesDataset;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.whitebox.LayerStats;
import ai.crate.runtime.whitebox.WhiteBoxRecorder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;

/**
 * {@code crate demo}: the whole pipeline in one process. An embedded Kafka broker, {@link InferenceJob} on a Flink
 * MiniCluster with the bundled shapes model, and K cameras ingesting generated H.264 clips of moving shapes in real
 * time; a live view of the predictions, then a summary (frames in and out, accuracy against ground truth, throughput,
 * latency, per-layer sparsity). {@code --loop} runs {@link LoopDemo} instead.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Runs the pipeline end to end on embedded defaults: broker, Flink job, cameras, model.")
final class DemoCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--frames", paramLabel = "N", description = "Frames per camera (default: 250; with --loop 900,"
            + " of which all but the first 100 are shifted).")
    Integer frames;

    @Option(names = "--cameras", defaultValue = "3", description = "Cameras (default: ${DEFAULT-VALUE}).")
    int cameras;

    @Option(names = "--model", paramLabel = "BUNDLE", description = "Default: the bundled ops/demo/crate-shapes.")
    Path model;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the summary as JSON.")
    Path json;

    @Option(names = "--fast", description = "Ingest as fast as possible instead of at the clips' 25 frames/s.")
    boolean fast;

    @Option(names = "--loop", description = "Show the closed loop instead: the cameras' look shifts, accuracy"
            + " falls, drift is raised, labels flow back, FineTuneJob trains, gates, signs and announces a new"
            + " version, the inference job hot-swaps it, accuracy recovers. Always at the clips' real-time pace.")
    boolean loop;

    @Option(names = "--metrics-port", paramLabel = "PORT", description = "Serve the job's metrics for Prometheus on"
            + " http://localhost:PORT/metrics while the demo runs.")
    Integer metricsPort;

    @Override
    public Integer call() throws Exception {
        int perCamera = frames != null ? frames : loop ? 900 : 250;
        if (perCamera < 1 || cameras < 1 || cameras > 16) {
            throw new IllegalArgumentException("--frames must be at least 1 and --cameras between 1 and 16");
        }
        Path bundle = model != null ? model : DemoFiles.bundledModel();
        if (loop) {
            if (json != null || metricsPort != null || fast) {
                throw new IllegalArgumentException("--loop runs at the clips' pace and prints its own summary; it"
                        + " does not take --json, --metrics-port or --fast");
            }
            if (perCamera < 400) {
                throw new IllegalArgumentException("--frames with --loop must be at least 400 (100 standard frames,"
                        + " then enough shifted ones to label, fine-tune and show the recovery), got " + perCamera);
            }
            return new LoopDemo(bundle, cameras, 100, perCamera - 100, true).run();
        }
        frames = perCamera;
        Path work = Files.createTempDirectory("crate-demo-");
        System.err.println("crate demo: model " + bundle + ", " + cameras + " cameras x " + frames
                + " frames, work directory " + work);
        List<Path> clips = writeClips(work);
        long started = System.nanoTime();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, work.resolve("kafka"))) {
            broker.createPipelineTopics();
            System.err.println("crate demo: Kafka at " + broker.bootstrap());
            InferenceOptions options = InferenceOptions.parse("--bootstrap", broker.bootstrap(), "--model-uri",
                    bundle.toString(), "--max-batch", "8", "--max-wait-ms", "30", "--checkpoint-ms", "1000",
                    "--engine-threads", "1", "--group-id", "crate-demo");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfig());
            InferenceJob.build(env, options);
            JobClient job = env.executeAsync("crate-demo");
            System.err.println("crate demo: Flink job " + job.getJobID() + " running (MiniCluster)");
            List<CompletableFuture<IngestSummary>> ingests = new ArrayList<>();
            for (int c = 0; c < cameras; c++) {
                ingests.add(ingest(broker.bootstrap(), clips.get(c), "camera-" + (c + 1), work, !fast));
            }
            Summary summary = watch(broker.bootstrap(), ingests, started);
            job.cancel().get();
            summary.sparsity = sparsity(bundle);
            print(summary);
            if (json != null) {
                Files.writeString(json, summary.json().toPrettyString());
            }
            return summary.framesIn == summary.predictionsOut ? 0 : 1;
        }
    }

    private Configuration flinkConfig() {
        Configuration config = new Configuration();
        if (metricsPort != null) {
            config.setString("metrics.reporter.prom.factory.class",
                    "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
            config.setString("metrics.reporter.prom.port", Integer.toString(metricsPort));
            System.err.println("crate demo: metrics on http://localhost:" + metricsPort + "/metrics");
        }
        return config;
    }

    private List<Path> writeClips(Path work) throws IngestException {
        List<Path> clips = new ArrayList<>();
        List<String> names = ShapeClass.labels();
        for (int c = 0; c < cameras; c++) {
            ShapesClip clip = new ShapesClip(100 + c, 256, 50);
            Path file = work.resolve("camera-" + (c + 1) + ".mp4");
            List<String> labels = new ArrayList<>();
            try (VideoWriter writer = new VideoWriter(file, 256, 256, 25)) {
                for (int i = 0; i < frames; i++) {
                    writer.write(clip.frame(i));
                    labels.add(names.get(clip.label(i)));
                }
            }
            try {
                Files.write(Path.of(file + ".labels.txt"), labels, StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new IngestException("cannot write the ground truth of " + file, e);
            }
            clips.add(file);
        }
        System.err.println("crate demo: wrote " + cameras + " H.264 clips of moving shapes (" + frames
                + " frames each)");
        return clips;
    }

    /** Ingests {@code clip} (with its {@code .labels.txt} ground truth) as {@code camera}, in the background. */
    static CompletableFuture<IngestSummary> ingest(String bootstrap, Path clip, String camera, Path work,
                                                   boolean realtime) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                IngestRequest request = new IngestRequest(SourceSettings.of(clip.toString()), bootstrap,
                        PipelineTopics.FRAMES, new IngestSettings(camera, 0, 0, realtime, 8,
                        FrameLabels.read(Path.of(clip + ".labels.txt"))), FrameFormat.JPEG, 90,
                        work.resolve("state"), Map.of());
                return new Ingestion(request).run(IngestProgress.NONE);
            } catch (IngestException e) {
                throw new IllegalStateException("camera " + camera + ": " + e.getMessage(), e);
            }
        });
    }

    /** Reads predictions as they are committed, draws the live view, and returns once every frame is predicted. */
    private Summary watch(String bootstrap, List<CompletableFuture<IngestSummary>> ingests, long started)
            throws Exception {
        Summary s = new Summary();
        List<Double> latencies = new ArrayList<>();
        long expected = (long) frames * cameras;
        long deadline = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.GROUP_ID_CONFIG, "crate-demo-view",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(PipelineTopics.PREDICTIONS));
            long lastLine = 0;
            while (s.predictionsOut < expected) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    JsonNode p = JSON.readTree(new String(r.value(), StandardCharsets.UTF_8));
                    s.predictionsOut++;
                    String predicted = p.get("top_k").get(0).get("label").asText();
                    String truth = p.has("ground_truth") ? p.get("ground_truth").asText() : null;
                    if (predicted.equals(truth)) {
                        s.correct++;
                    }
                    double latency = (System.currentTimeMillis() * 1000.0 - p.get("capture_time_us").asLong())
                            / 1000.0;
                    latencies.add(latency);
                    if (System.nanoTime() - lastLine > 250_000_000L) {
                        System.out.printf(Locale.ROOT, "%-9s frame %4d  %-9s %5.1f%%  truth %-9s %s  latency %4.0f ms"
                                        + "  [%s] %d/%d%n", p.get("camera_id").asText(), p.get("seq").asLong(),
                                predicted, 100 * p.get("top_k").get(0).get("probability").asDouble(), truth,
                                predicted.equals(truth) ? "ok" : "MISS", latency,
                                bar((double) s.predictionsOut / expected), s.predictionsOut, expected);
                        lastLine = System.nanoTime();
                    }
                }
                if (deadline == 0 && ingests.stream().allMatch(CompletableFuture::isDone)) {
                    deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                }
                if (deadline != 0 && System.nanoTime() > deadline) {
                    System.err.println("crate demo: gave up waiting for the last predictions after 60 s");
                    break;
                }
            }
        }
        for (CompletableFuture<IngestSummary> ingest : ingests) {
            IngestSummary summary = ingest.join();
            s.framesIn += summary.sent();
        }
        s.seconds = (System.nanoTime() - started) / 1e9;
        double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        s.p50 = percentile(sorted, 0.50);
        s.p99 = percentile(sorted, 0.99);
        return s;
    }

    private static String bar(double done) {
        int filled = (int) Math.round(Math.min(1, done) * 20);
        return "#".repeat(filled) + ".".repeat(20 - filled);
    }

    private static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(q * (sorted.length - 1)))];
    }

    /** Per-layer sparsity of the model on 32 generated frames, as {@code bin/crate inspect} measures it. */
    private static double[] sparsity(Path bundle) throws Exception {
        LoadedModel loaded = ModelLoader.load(bundle, Optional.empty());
        PreprocessSpec spec = new PreprocessSpec(loaded.preprocessing(), ResizeMode.SHORTER_SIDE);
        ShapesDataset sample = new ShapesDataset(32, 99, 256, spec);
        float[] images = new float[32 * spec.imageFloats()];
        for (int i = 0; i < 32; i++) {
            sample.image(i, images, i * spec.imageFloats());
        }
        WhiteBoxRecorder recorder = new WhiteBoxRecorder(loaded.config().depth(), 32);
        try (CrateEngine engine = Engines.create("fast", loaded.weights(), new EngineOptions(2))) {
            engine.forward(images, 32, recorder);
        }
        return recorder.stats().stream().mapToDouble(LayerStats::sparsityMean).toArray();
    }

    private static void print(Summary s) {
        System.out.printf(Locale.ROOT, "%nsummary frames_in=%d predictions_out=%d accuracy=%.4f images_per_s=%.1f"
                        + " p50_ms=%.0f p99_ms=%.0f seconds=%.1f sparsity_per_layer=%s%n", s.framesIn, s.predictionsOut,
                s.accuracy(), s.predictionsOut / s.seconds, s.p50, s.p99, s.seconds,
                Arrays.toString(Arrays.stream(s.sparsity).map(v -> Math.round(v * 1000) / 1000.0).toArray()));
    }

    /** What the demo measured. */
    private static final class Summary {
        long framesIn;
        long predictionsOut;
        long correct;
        double seconds;
        double p50;
        double p99;
        double[] sparsity = new double[0];

        double accuracy() {
            return predictionsOut == 0 ? 0 : (double) correct / predictionsOut;
        }

        ObjectNode json() {
            ObjectNode root = JSON.createObjectNode();
            root.put("frames_in", framesIn);
            root.put("predictions_out", predictionsOut);
            root.put("accuracy", accuracy());
            root.put("images_per_s", predictionsOut / seconds);
            root.put("p50_ms", p50);
            root.put("p99_ms", p99);
            root.put("seconds", seconds);
            var layers = root.putArray("sparsity_per_layer");
            for (double v : sparsity) {
                layers.add(v);
            }
            return root;
        }
    }
}
