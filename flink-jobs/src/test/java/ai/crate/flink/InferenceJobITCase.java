package ai.crate.flink;

import ai.crate.ingest.FrameRecords;
import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.proto.Frame;
import ai.crate.patchify.Patchifier;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.FeatureUpdate;
import org.apache.kafka.clients.admin.UpdateFeaturesOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link InferenceJob} on a Flink MiniCluster against the embedded broker, over both delivery guarantees: N labelled
 * frames in, exactly N predictions out (read committed), each frame once, each prediction equal to running the same
 * frame through patchify and the engine offline; malformed records (not a Frame, a corrupt JPEG, a raw frame of the
 * wrong size, a JPEG claiming 65000x65000 pixels captured two hours ahead) land in the dead-letter topic with their
 * reason while the job carries on; a task failure mid-stream
 * (restart from the last checkpoint) loses no frame, and under exactly-once repeats none in the committed output; a
 * job started afresh under the same group predicts only the frames its predecessor did not.
 */
class InferenceJobITCase {
    private static final Path MODEL = Path.of("../ops/demo/crate-shapes");
    private static EmbeddedKafkaBroker broker;
    private static KafkaTestTopics topics;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.start(0, null);
        topics = new KafkaTestTopics(broker);
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
                new org.apache.kafka.clients.admin.NewTopic(codes, 2, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("updates-" + run, 1, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("fleet-" + run, 1, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("drift-" + run, 1, (short) 1)));
        List<Frame> sent = produceFrames(frames, 40);

        InferenceOptions options = InferenceOptions.parse("--bootstrap", broker.bootstrap(), "--model-uri",
                MODEL.toString(), "--frames-topic", frames, "--predictions-topic", predictions, "--dlq-topic", dlq,
                "--group-id", "it-" + run, "--max-batch", "8", "--max-wait-ms", "20", "--engine-threads", "1",
                "--checkpoint-ms", "500", "--delivery", delivery == DeliveryGuarantee.EXACTLY_ONCE ? "exactly-once"
                        : "at-least-once", "--codes-topic", codes, "--updates-topic", "updates-" + run,
                "--fleet-topic", "fleet-" + run, "--drift-topic", "drift-" + run, "--bounded");
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
        assertThat(dead).hasSize(4);
        assertThat(dead).extracting(d -> d.get("reason").asText()).anySatisfy(r ->
                assertThat(r).contains("is not a crate.frames.v1.Frame")).anySatisfy(r ->
                assertThat(r).contains("JPEG frame")).anySatisfy(r -> assertThat(r).contains("must have"))
                .anySatisfy(r -> assertThat(r).contains("claims 65000x65000 pixels"));
    }

    @ParameterizedTest
    @EnumSource(value = DeliveryGuarantee.class, names = {"EXACTLY_ONCE", "AT_LEAST_ONCE"})
    void aTaskFailureMidStreamLosesNothingAndExactlyOnceDuplicatesNothing(DeliveryGuarantee delivery)
            throws Exception {
        String run = "failure-" + delivery.name().toLowerCase();
        String frames = "frames-" + run;
        String predictions = "predictions-" + run;
        broker.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(frames, 2, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic(predictions, 2, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("dlq-" + run, 1, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("updates-" + run, 1, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("fleet-" + run, 1, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("drift-" + run, 1, (short) 1)));
        InferenceOptions options = InferenceOptions.parse("--bootstrap", broker.bootstrap(), "--model-uri",
                MODEL.toString(), "--frames-topic", frames, "--predictions-topic", predictions, "--dlq-topic",
                "dlq-" + run, "--group-id", "it-" + run, "--max-batch", "4", "--max-wait-ms", "20",
                "--engine-threads", "1", "--checkpoint-ms", "300", "--transaction-timeout-ms", "20000", "--delivery",
                delivery == DeliveryGuarantee.EXACTLY_ONCE ? "exactly-once" : "at-least-once", "--no-codes",
                "--updates-topic", "updates-" + run, "--fleet-topic", "fleet-" + run, "--drift-topic", "drift-" + run);
        FailAtCheckpoint.reset();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(env, options, stream -> stream.map(new FailAtCheckpoint()).name("fail-at-checkpoint"));
        JobClient job = env.executeAsync("it-" + run);
        List<Frame> sent = new ArrayList<>();
        List<JsonNode> out;
        try {
            sent.addAll(topics.produceFrames(frames, 0, 60, Duration.ZERO));
            assertThat(topics.awaitCommitted(predictions, 60, Duration.ofSeconds(60))).as("the first half, committed")
                    .hasSize(60);
            FailAtCheckpoint.ARMED.set(true);
            sent.addAll(topics.produceFrames(frames, 60, 60, Duration.ofMillis(20)));
            out = topics.awaitCommittedKeys(predictions, sent.stream().map(f -> f.getCameraId() + "/" + f.getSeq())
                    .toList(), Duration.ofSeconds(60));
        } finally {
            job.cancel().get();
        }
        assertThat(FailAtCheckpoint.FAILED.get()).as("the failure was injected").isTrue();
        assertThat(FailAtCheckpoint.OPENS.get()).as("the task restarted").isGreaterThanOrEqualTo(2);

        Set<String> distinct = new HashSet<>();
        out.forEach(p -> distinct.add(p.get("camera_id").asText() + "/" + p.get("seq").asLong()));
        List<String> missing = sent.stream().map(f -> f.getCameraId() + "/" + f.getSeq())
                .filter(k -> !distinct.contains(k)).toList();
        Map<String, List<Integer>> passes = new HashMap<>();
        missing.forEach(k -> passes.put(k, FailAtCheckpoint.SEEN.getOrDefault(k, List.of())));
        long written = missing.isEmpty() ? 0 : topics.written(predictions).stream().map(KafkaTestTopics::predictionKey)
                .filter(missing::contains).count();
        assertThat(missing).as("no frame lost (the attempts in which each lost frame left the source: %s; %d of"
                + " them are in the topic uncommitted)", passes, written).isEmpty();
        if (delivery == DeliveryGuarantee.EXACTLY_ONCE) {
            assertThat(out).as("no duplicate committed").hasSize(sent.size());
        }
    }

    @Test
    void exactlyOnceIsRefusedOnABrokerWithTransactionVersionTwo(@TempDir Path temp) throws Exception {
        try (EmbeddedKafkaBroker upgraded = EmbeddedKafkaBroker.start(0, temp.resolve("kafka"));
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, upgraded.bootstrap()))) {
            admin.updateFeatures(Map.of(EmbeddedKafkaBroker.TRANSACTION_VERSION, new FeatureUpdate((short) 2,
                    FeatureUpdate.UpgradeType.UPGRADE)), new UpdateFeaturesOptions()).all().get();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            assertThatThrownBy(() -> InferenceJob.build(env, InferenceOptions.parse("--bootstrap",
                    upgraded.bootstrap(), "--model-uri", MODEL.toString())))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("transaction.version=2");
            InferenceJob.build(env, InferenceOptions.parse("--bootstrap", upgraded.bootstrap(), "--model-uri",
                    MODEL.toString(), "--delivery", "at-least-once"));
        }
    }

    /**
     * Once armed, fails the source task when it learns that a checkpoint completed after it passed 10 more frames:
     * the moment the sinks' committers are told to commit that checkpoint's transactions, so recovery must commit
     * them (or find them committed). Records which attempt passed each frame.
     */
    static final class FailAtCheckpoint extends RichMapFunction<FrameEvent, FrameEvent> implements CheckpointListener {
        static final AtomicBoolean ARMED = new AtomicBoolean();
        static final AtomicBoolean FAILED = new AtomicBoolean();
        static final AtomicInteger OPENS = new AtomicInteger();
        static final Map<String, List<Integer>> SEEN = new ConcurrentHashMap<>();
        private transient int armedFrames;

        static void reset() {
            ARMED.set(false);
            FAILED.set(false);
            OPENS.set(0);
            SEEN.clear();
        }

        @Override
        public void open(OpenContext context) {
            OPENS.incrementAndGet();
        }

        @Override
        public FrameEvent map(FrameEvent frame) {
            SEEN.computeIfAbsent(frame.cameraId + "/" + frame.seq, k -> new CopyOnWriteArrayList<>())
                    .add(OPENS.get());
            if (ARMED.get()) {
                armedFrames++;
            }
            return frame;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            if (armedFrames >= 10 && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure on completing checkpoint " + checkpointId);
            }
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

    /** Labelled shapes frames from two cameras, plus four malformed records. */
    @Test
    void aFreshStartUnderTheSameGroupResumesWhereTheLastJobLeftOff() throws Exception {
        String run = "resume";
        broker.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("frames-" + run, 2, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("predictions-" + run, 2, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("dlq-" + run, 1, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("codes-" + run, 2, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("updates-" + run, 1, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("fleet-" + run, 1, (short) 1),
                new org.apache.kafka.clients.admin.NewTopic("drift-" + run, 1, (short) 1)));
        List<Frame> sent = new ArrayList<>(topics.produceFrames("frames-" + run, 0, 12, Duration.ZERO));
        runToTheEnd(run);
        sent.addAll(topics.produceFrames("frames-" + run, 12, 8, Duration.ZERO));
        runToTheEnd(run);

        List<JsonNode> out = readCommitted("predictions-" + run);
        assertThat(out).extracting(p -> p.get("camera_id").asText() + "/" + p.get("seq").asLong())
                .as("each frame predicted once over both jobs").containsExactlyInAnyOrderElementsOf(
                        sent.stream().map(f -> f.getCameraId() + "/" + f.getSeq()).toList());
    }

    @Test
    void aBoundedRunOverAFramesTopicThatDoesNotExistIsRefusedNamingIt() {
        InferenceOptions options = InferenceOptions.parse("--bootstrap", broker.bootstrap(), "--model-uri",
                MODEL.toString(), "--frames-topic", "no-such-frames", "--delivery", "at-least-once", "--bounded");
        assertThatThrownBy(() -> InferenceJob.build(StreamExecutionEnvironment.getExecutionEnvironment(), options))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the frames topic 'no-such-frames' does not exist at " + broker.bootstrap());
    }

    /**
     * A new job (no savepoint) over {@code frames-<run>} up to its current end, under the group {@code it-<run>},
     * whose end is committed for the group once the job has finished.
     */
    private static void runToTheEnd(String run) throws Exception {
        InferenceOptions options = InferenceOptions.parse("--bootstrap", broker.bootstrap(), "--model-uri",
                MODEL.toString(), "--frames-topic", "frames-" + run, "--predictions-topic", "predictions-" + run,
                "--dlq-topic", "dlq-" + run, "--group-id", "it-" + run, "--max-batch", "8", "--max-wait-ms", "20",
                "--engine-threads", "1", "--checkpoint-ms", "500", "--codes-topic", "codes-" + run, "--updates-topic",
                "updates-" + run, "--fleet-topic", "fleet-" + run, "--drift-topic", "drift-" + run, "--bounded");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        Optional<BoundedRun> bounded = InferenceJob.build(env, options);
        env.execute("it-" + run);
        bounded.orElseThrow().commit();
    }

    private static List<Frame> produceFrames(String topic, int count) throws Exception {
        List<Frame> sent = topics.produceFrames(topic, 0, count, Duration.ZERO);
        topics.produceMalformed(topic);
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
        return topics.awaitCommitted(topic, 0, Duration.ZERO);
    }

    private static List<byte[]> readCommittedBytes(String topic) {
        return topics.committed(topic, Duration.ofSeconds(30));
    }
}
