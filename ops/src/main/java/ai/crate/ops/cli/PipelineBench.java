package ai.crate.ops.cli;

import ai.crate.flink.InferenceJob;
import ai.crate.flink.InferenceOptions;
import ai.crate.ingest.FrameEncoder;
import ai.crate.ingest.FrameRecords;
import ai.crate.ingest.proto.Encoding;
import ai.crate.ingest.proto.Frame;
import ai.crate.ingest.source.SourceFrame;
import ai.crate.patchify.DecodedImage;
import ai.crate.patchify.EncodedFrame;
import ai.crate.patchify.FrameFormat;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.shapes.ShapesDataset;
import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.bundle.Preprocessing;
import ai.crate.runtime.model.CrateWeights;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import org.apache.flink.api.common.JobID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

/**
 * {@code bin/crate bench --pipeline}: {@link InferenceJob} end to end (a broker in this process or the cluster given
 * with {@code --bootstrap}, one Flink MiniCluster that runs each phase's job in turn, JPEG frames in, predictions
 * out) at the batch and threads of the engine benchmark.
 * Warm-up jobs come first, each over three times the backlog ({@code -Dcrate.bench.warmupFrames}, 0 for none), until
 * the JIT compiled for less than {@value #QUIET_JIT_PERCENT}% of the last one's time or {@code
 * -Dcrate.bench.warmupRounds} (default {@value #WARMUP_ROUNDS}) have run: Flink's, Kafka's and the job's code keeps
 * being compiled for a minute or more, and the JIT's thread takes its time from the engine's cores, so the measured
 * jobs run on compiled code as the engine benchmark's do. Throughput is then measured on a backlog of frames, from the
 * predictions' {@code predicted_time_us} (so job start-up is excluded); latency on frames paced below capacity, from
 * each frame's capture time (when it was sent) to its prediction.
 */
final class PipelineBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DISTINCT_FRAMES = 16;
    private static final int WARMUP_FRAMES = 32;
    private static final int WARMUP_ROUNDS = 10;
    private static final int QUIET_JIT_PERCENT = 5;
    private static final List<String> TOPIC_KINDS = List.of("frames", "predictions", "codes", "dlq", "updates",
            "fleet", "drift");
    private static final String RUN = Long.toString(System.currentTimeMillis(), 36);

    /** What to run: the model, batching, frames and pacing. */
    record Settings(CrateWeights weights, int batch, int threads, long maxWaitMillis, int frames, int frameSide,
                    double seconds, double load, int telemetryEvery, boolean codes, String bootstrap) {
    }

    /** Throughput on a backlog and latency under paced load. */
    record Result(Backlog backlog, double pacedFramesPerSecond, Latency latency) {
    }

    /**
     * Paced latencies (capture to prediction), and where the time went: medians, and means over the slowest 1% of
     * frames, of the Kafka transit (sent to read by the job), the wait in the job (batching, the previous batch,
     * patchify) and the frame's batch's inference; plus the mean batch size.
     */
    record Latency(double p50Millis, double p99Millis, int frames, Split median, Split slowest, double meanBatch) {
    }

    /** One split of a frame's latency into transit, wait in the job and inference, in ms. */
    record Split(double transit, double queue, double inference) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "transit_ms=%.1f queue_ms=%.1f inference_ms=%.1f", transit,
                    queue, inference);
        }
    }

    /** The backlog run: throughput, and where a frame's time went inside the job (means over the run). */
    record Backlog(double imagesPerSecond, double batchSize, double inferenceMillisPerBatch,
                   double patchifyMillisPerFrame) {
    }

    private PipelineBench() {
    }

    private static int warmUpFrames(Settings settings) {
        int frames = Integer.getInteger("crate.bench.warmupFrames", 3 * settings.frames());
        if (frames < 0) {
            throw new IllegalArgumentException("-Dcrate.bench.warmupFrames must be 0 (no warm-up job) or more, got "
                    + frames);
        }
        return frames;
    }

    private static int warmUpRounds() {
        int rounds = Integer.getInteger("crate.bench.warmupRounds", WARMUP_ROUNDS);
        if (rounds < 1) {
            throw new IllegalArgumentException("-Dcrate.bench.warmupRounds must be 1 or more, got " + rounds);
        }
        return rounds;
    }

    /**
     * Warm-up jobs of {@code frames} frames each until the JIT compiled for less than {@value #QUIET_JIT_PERCENT}% of
     * the last one's wall time, or {@code rounds} have run; each round's share is printed.
     */
    private static void warmUp(BenchKafka broker, JobRunner jobs, Path bundle, Settings settings,
                               List<byte[]> jpegs, int frames, int rounds) throws Exception {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        for (int round = 1; round <= rounds; round++) {
            long compiledBefore = jit.getTotalCompilationTime();
            long start = System.nanoTime();
            backlog(broker, jobs, bundle, settings, jpegs, "warmup-" + round, frames);
            double seconds = (System.nanoTime() - start) / 1e9;
            double jitPercent = (jit.getTotalCompilationTime() - compiledBefore) / 10.0 / seconds;
            System.err.printf(Locale.ROOT, "bench pipeline: warm-up job %d: %d frames in %.1f s, the JIT compiling"
                    + " %.0f%% of that time%n", round, frames, seconds, jitPercent);
            if (jitPercent < QUIET_JIT_PERCENT) {
                return;
            }
        }
        System.err.printf("bench pipeline: the JIT was still compiling after %d warm-up jobs"
                + " (-Dcrate.bench.warmupRounds for more)%n", rounds);
    }

    static Result run(Settings settings, double engineImagesPerSecond) throws Exception {
        Path work = Files.createTempDirectory("crate-bench-pipeline-");
        Path bundle = work.resolve("model");
        var config = settings.weights().config();
        ModelBundle.write(bundle, "bench", "1", null, settings.weights(),
                ModelBundle.defaultLabels(config.numClasses()), Preprocessing.imagenetDefaults(config));
        List<byte[]> jpegs = jpegs(settings.frameSide());
        try (BenchKafka broker = settings.bootstrap() == null ? BenchKafka.embedded(work.resolve("kafka"))
                : BenchKafka.external(settings.bootstrap());
             JobRunner jobs = JobRunner.start()) {
            int warmUp = warmUpFrames(settings);
            int rounds = warmUpRounds();
            List<String> phases = new ArrayList<>(List.of("backlog", "paced"));
            for (int round = 1; round <= rounds && warmUp > 0; round++) {
                phases.add("warmup-" + round);
            }
            createTopics(broker, phases);
            if (warmUp > 0) {
                System.err.printf("bench pipeline: warm-up jobs over %d frames each first, until the JIT is"
                        + " quiet (at most %d), so that the measured jobs run on compiled code as the engine"
                        + " benchmark does%n", warmUp, rounds);
                warmUp(broker, jobs, bundle, settings, jpegs, warmUp, rounds);
            }
            Backlog backlog = backlog(broker, jobs, bundle, settings, jpegs, "backlog", settings.frames());
            double rate = settings.load() * Math.min(backlog.imagesPerSecond(), engineImagesPerSecond);
            return new Result(backlog, rate, paced(broker, jobs, bundle, settings, jpegs, rate));
        }
    }

    private static Backlog backlog(BenchKafka broker, JobRunner jobs, Path bundle, Settings settings,
                                   List<byte[]> jpegs, String phase, int frames) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = producer(broker)) {
            for (int i = 0; i < frames; i++) {
                send(producer, topic("frames", phase), i, jpegs, settings.frameSide());
            }
        }
        System.err.printf("bench pipeline: %d frames queued on %s; running the job on them%n", frames,
                topic("frames", phase));
        jobs.run(options(broker, bundle, settings, phase, true), "crate-bench-" + phase);
        List<ConsumerRecord<byte[], byte[]>> out = committed(broker, topic("predictions", phase), frames,
                Duration.ofSeconds(30));
        if (out.size() != frames) {
            throw new IllegalStateException("the job returned " + out.size() + " predictions for "
                    + frames + " frames");
        }
        long[] sent = new long[out.size()];
        double batchSizes = 0;
        double inferencePerBatch = 0;
        double patchify = 0;
        for (int i = 0; i < sent.length; i++) {
            JsonNode prediction = JSON.readTree(out.get(i).value());
            sent[i] = prediction.get("predicted_time_us").asLong() / 1000;
            batchSizes += prediction.get("batch_size").asDouble();
            inferencePerBatch += prediction.get("timings_ms").get("inference").asDouble();
            patchify += prediction.get("timings_ms").get("patchify").asDouble();
        }
        Arrays.sort(sent);
        int first = Math.min(WARMUP_FRAMES, sent.length / 4);
        double rate = (sent.length - 1 - first) * 1000.0 / Math.max(1, sent[sent.length - 1] - sent[first]);
        int n = sent.length;
        return new Backlog(rate, batchSizes / n, inferencePerBatch / n, patchify / n);
    }

    private static Latency paced(BenchKafka broker, JobRunner jobs, Path bundle, Settings settings,
                                 List<byte[]> jpegs, double rate) throws Exception {
        JobID job = jobs.submit(options(broker, bundle, settings, "paced", false), "crate-bench-paced");
        int count = (int) Math.max(50, rate * settings.seconds());
        System.err.printf("bench pipeline: %d frames at %.1f frames/s (%.0f%% of capacity)%n", count, rate,
                settings.load() * 100);
        try (KafkaProducer<byte[], byte[]> producer = producer(broker)) {
            for (int i = 0; i < WARMUP_FRAMES; i++) {
                send(producer, topic("frames", "paced"), i, jpegs, settings.frameSide());
            }
            producer.flush();
            committed(broker, topic("predictions", "paced"), WARMUP_FRAMES, Duration.ofSeconds(120));
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                long due = start + (long) (i * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                send(producer, topic("frames", "paced"), WARMUP_FRAMES + i, jpegs, settings.frameSide());
            }
        }
        List<ConsumerRecord<byte[], byte[]>> out = committed(broker, topic("predictions", "paced"),
                WARMUP_FRAMES + count, Duration.ofSeconds(60));
        jobs.cancel(job);
        List<double[]> measured = new ArrayList<>();
        double batches = 0;
        for (ConsumerRecord<byte[], byte[]> record : out) {
            JsonNode prediction = JSON.readTree(record.value());
            if (prediction.get("seq").asLong() >= WARMUP_FRAMES) {
                JsonNode timings = prediction.get("timings_ms");
                double total = (prediction.get("predicted_time_us").asLong()
                        - prediction.get("capture_time_us").asLong()) / 1000.0;
                double queue = timings.get("queue").asDouble();
                double inference = timings.get("inference").asDouble();
                measured.add(new double[] {total, total - queue - inference, queue, inference});
                batches += prediction.get("batch_size").asDouble();
            }
        }
        if (measured.size() != count) {
            throw new IllegalStateException("the job returned " + measured.size() + " predictions for " + count
                    + " paced frames");
        }
        double[][] frames = measured.toArray(double[][]::new);
        Arrays.sort(frames, Comparator.comparingDouble(f -> f[0]));
        double[] totals = Arrays.stream(frames).mapToDouble(f -> f[0]).toArray();
        Split median = new Split(median(frames, 1), median(frames, 2), median(frames, 3));
        double[][] slowest = Arrays.copyOfRange(frames, Math.min(count - 1, (int) (0.99 * count)), count);
        Split tail = new Split(mean(slowest, 1), mean(slowest, 2), mean(slowest, 3));
        return new Latency(percentile(totals, 0.50), percentile(totals, 0.99), count, median, tail, batches / count);
    }

    private static double median(double[][] frames, int column) {
        return percentile(Arrays.stream(frames).mapToDouble(f -> f[column]).sorted().toArray(), 0.50);
    }

    private static double mean(double[][] frames, int column) {
        return Arrays.stream(frames).mapToDouble(f -> f[column]).average().orElse(Double.NaN);
    }

    /** Every topic of each phase's job, created before any is used. */
    private static void createTopics(BenchKafka broker, List<String> phases) throws Exception {
        List<String> topics = new ArrayList<>();
        for (String phase : phases) {
            for (String kind : TOPIC_KINDS) {
                topics.add(topic(kind, phase));
            }
        }
        broker.createTopics(topics);
    }

    /** The name of one of a phase's topics, unique to this run so that runs on one cluster never mix. */
    private static String topic(String kind, String phase) {
        return "crate-bench-" + RUN + "-" + phase + "-" + kind;
    }

    private static InferenceOptions options(BenchKafka broker, Path bundle, Settings settings, String phase,
                                            boolean bounded) {
        List<String> args = new ArrayList<>(List.of("--bootstrap", broker.bootstrap(), "--model-uri",
                bundle.toString(), "--group-id", topic("group", phase), "--max-batch",
                Integer.toString(settings.batch()), "--max-wait-ms", Long.toString(settings.maxWaitMillis()),
                "--engine-threads", Integer.toString(settings.threads()), "--telemetry-every",
                Integer.toString(settings.telemetryEvery())));
        for (String kind : TOPIC_KINDS) {
            args.addAll(List.of("--" + kind + "-topic", topic(kind, phase)));
        }
        if (!settings.codes()) {
            args.add("--no-codes");
        }
        if (bounded) {
            args.add("--bounded");
        }
        return InferenceOptions.parse(args.toArray(String[]::new));
    }

    /** A few distinct shapes pictures of {@code side}×{@code side}, JPEG-encoded once. */
    private static List<byte[]> jpegs(int side) throws Exception {
        ShapesDataset shapes = new ShapesDataset(DISTINCT_FRAMES, 5, side, PreprocessSpec.imagenet(side));
        List<byte[]> out = new ArrayList<>();
        try (FrameEncoder encoder = new FrameEncoder(side, FrameFormat.JPEG, 90)) {
            for (int i = 0; i < DISTINCT_FRAMES; i++) {
                DecodedImage picture = shapes.picture(i);
                try (BytePointer pixels = new BytePointer(picture.pixels());
                     Mat mat = new Mat(picture.height(), picture.width(), CV_8UC3, pixels)) {
                    EncodedFrame jpeg = encoder.encode(new SourceFrame(mat, 0, null));
                    out.add(jpeg.data());
                }
            }
        }
        return out;
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, int seq, List<byte[]> jpegs,
                             int side) {
        Frame frame = Frame.newBuilder().setSchemaVersion(1).setCameraId("bench").setSeq(seq)
                .setCaptureTimeUs(System.currentTimeMillis() * 1000).setWidth(side).setHeight(side)
                .setEncoding(Encoding.JPEG).setData(ByteString.copyFrom(jpegs.get(seq % jpegs.size()))).build();
        producer.send(new ProducerRecord<>(topic, FrameRecords.key("bench"), frame.toByteArray()));
    }

    private static KafkaProducer<byte[], byte[]> producer(BenchKafka broker) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, "0"),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The committed records of {@code topic}, read until {@code expected} arrived or {@code patience} passed. */
    private static List<ConsumerRecord<byte[], byte[]>> committed(BenchKafka broker, String topic,
                                                                  int expected, Duration patience) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + patience.toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            return out;
        }
    }

    private static double percentile(double[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
