package ai.crate.flink;

import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.feedback.Feedback;
import ai.crate.ingest.proto.Frame;
import ai.crate.patchify.shapes.ShapeClass;
import ai.crate.patchify.shapes.ShapesDomain;
import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.registry.ModelRegistry;
import ai.crate.runtime.registry.VersionRecord;
import ai.crate.runtime.registry.VersionState;
import ai.crate.runtime.signing.BundleSignature;
import ai.crate.runtime.signing.TrustedKeys;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The closed loop on an embedded broker and two MiniClusters ({@link InferenceJob} and {@link FineTuneJob}): the
 * cameras' frames shift domain, on which the demo model is poor; the inference job raises drift; labels come back for
 * two frames in three; the fine-tune job trains a candidate, the gate accepts it, it is signed, promoted in the
 * registry and announced, and the inference job verifies and hot-swaps it. Accuracy on fresh shifted frames rises by
 * at least 20 points and no frame is lost. Then a batch of random labels makes a candidate the gate refuses: it is
 * retired in the registry with the reason, reported on {@code training}, and production stays.
 */
class FineTuneLoopITCase {
    private static final Path MODEL = Path.of("../ops/demo/crate-shapes");
    private static EmbeddedKafkaBroker broker;
    private static KafkaTestTopics topics;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.start(0, null);
        topics = new KafkaTestTopics(broker);
    }

    @AfterAll
    static void stopBroker() throws Exception {
        broker.close();
    }

    @Test
    void feedbackOnShiftedFramesShipsABetterSignedVersionAndAPoisonedBatchIsRefused(@TempDir Path temp)
            throws Exception {
        broker.createTopics(List.of(new NewTopic("frames", 2, (short) 1), new NewTopic("predictions", 2, (short) 1),
                new NewTopic("frames-dlq", 1, (short) 1), new NewTopic("model-updates", 1, (short) 1),
                new NewTopic("fleet-status", 1, (short) 1), new NewTopic("drift", 1, (short) 1),
                new NewTopic("feedback", 2, (short) 1), new NewTopic("training", 1, (short) 1)));
        Path keys = temp.resolve("keys");
        Path key = SignedBundles.newKey(keys, "release");
        Path registryDir = temp.resolve("registry");

        StreamExecutionEnvironment inferenceEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        InferenceJob.build(inferenceEnv, InferenceOptions.parse("--bootstrap", broker.bootstrap(), "--model-uri",
                MODEL.toString(), "--group-id", "it-loop", "--max-batch", "8", "--max-wait-ms", "20",
                "--engine-threads", "1", "--checkpoint-ms", "500", "--no-codes", "--telemetry-every", "1",
                "--trusted-keys", keys.toString()));
        StreamExecutionEnvironment fineTuneEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        FineTuneJob.build(fineTuneEnv, FineTuneOptions.parse("--bootstrap", broker.bootstrap(), "--model-uri",
                MODEL.toString(), "--registry", registryDir.toString(), "--signing-key", key.toString(),
                "--regression", "shapes:200:7", "--every-labels", "400", "--min-labels", "300",
                "--every-minutes", "0", "--threads", "1", "--checkpoint-ms", "500",
                "--checkpoint-dir", temp.resolve("checkpoints").toUri().toString()));
        JobClient inference = inferenceEnv.executeAsync("it-loop-inference");
        JobClient fineTune = fineTuneEnv.executeAsync("it-loop-fine-tune");
        try {
            awaitRunning(inference);
            awaitRunning(fineTune);

            List<Frame> shifted = topics.produceFrames("frames", 0, 450, Duration.ZERO, ShapesDomain.SHIFTED);
            List<JsonNode> before = topics.awaitCommitted("predictions", 450, Duration.ofSeconds(120));
            assertThat(before).hasSize(450);
            List<JsonNode> drift = topics.awaitCommitted("drift", 1, Duration.ofSeconds(30));
            assertThat(drift).extracting(e -> e.get("event").asText()).contains("drift-started");

            List<Feedback> labels = new ArrayList<>();
            for (int i = 0; i < shifted.size(); i++) {
                if (i % 3 != 0) {
                    Frame f = shifted.get(i);
                    labels.add(new Feedback(f.getCameraId(), f.getSeq(), f.getLabel(), "it", System.currentTimeMillis()));
                }
            }
            topics.produceFeedback("feedback", labels);
            JsonNode accepted = awaitDecision(1);
            assertThat(accepted.get("event").asText()).as(accepted.toString()).isEqualTo("candidate-accepted");
            List<JsonNode> fleet = topics.awaitCommitted("fleet-status", 1, Duration.ofSeconds(60));
            assertThat(fleet).extracting(e -> e.get("event").asText()).containsExactly("model-activated");
            assertThat(fleet.get(0).get("model").get("version").asText()).isEqualTo("2");

            List<Frame> after = topics.produceFrames("frames", 450, 400, Duration.ZERO, ShapesDomain.SHIFTED);
            List<JsonNode> predictions = topics.awaitCommitted("predictions", 850, Duration.ofSeconds(120));
            SplittableRandom random = new SplittableRandom(3);
            List<Feedback> poisoned = new ArrayList<>();
            for (Frame f : after) {
                poisoned.add(new Feedback(f.getCameraId(), f.getSeq(), ShapeClass.labels().get(random.nextInt(10)),
                        "it-poison", System.currentTimeMillis()));
            }
            topics.produceFeedback("feedback", poisoned);
            JsonNode refused = awaitDecision(2);

            Set<String> distinct = new HashSet<>();
            predictions.forEach(p -> distinct.add(p.get("camera_id").asText() + "/" + p.get("seq").asLong()));
            assertThat(predictions).as("every frame predicted once").hasSize(850);
            assertThat(distinct).hasSize(850);
            Map<String, int[]> byVersion = new HashMap<>();
            for (JsonNode p : predictions) {
                int[] counts = byVersion.computeIfAbsent(p.get("model").get("version").asText(), v -> new int[2]);
                counts[0] += p.get("top_k").get(0).get("label").asText().equals(p.get("ground_truth").asText())
                        ? 1 : 0;
                counts[1]++;
            }
            assertThat(byVersion.keySet()).containsExactlyInAnyOrder("1", "2");
            assertThat(byVersion.get("1")[1]).as("frames before the swap").isEqualTo(450);
            double accuracyBefore = (double) byVersion.get("1")[0] / byVersion.get("1")[1];
            double accuracyAfter = (double) byVersion.get("2")[0] / byVersion.get("2")[1];
            System.out.printf("shifted frames: top-1 %.3f on version 1 (450 frames), %.3f on version 2 (400 fresh"
                    + " frames); gate: %s%n", accuracyBefore, accuracyAfter, accepted.get("reason").asText());
            assertThat(accuracyAfter - accuracyBefore).as("accuracy gained on shifted frames")
                    .isGreaterThanOrEqualTo(0.20);

            assertThat(refused.get("event").asText()).as(refused.toString()).isEqualTo("candidate-refused");
            assertThat(refused.get("reason").asText()).startsWith("refused: ");
            assertThat(refused.get("production_version").asText()).isEqualTo("2");
            List<JsonNode> training = topics.awaitCommitted("training", 4, Duration.ZERO);
            List<JsonNode> started = training.stream().filter(e -> e.get("event").asText()
                    .equals("fine-tune-started")).toList();
            assertThat(started).hasSize(2);
            assertThat(started.get(0).get("trigger").asText()).startsWith("drift on camera cam-");
            assertThat(started.get(1).get("trigger").asText()).isEqualTo("400 new labels");

            ModelRegistry registry = ModelRegistry.open(registryDir);
            assertThat(registry.production("crate-shapes")).map(VersionRecord::version).hasValue("2");
            VersionRecord two = registry.get("crate-shapes", "2");
            assertThat(two.signedBy()).isNotNull();
            VersionRecord three = registry.get("crate-shapes", "3");
            assertThat(three.state()).isEqualTo(VersionState.RETIRED);
            assertThat(three.history().get(three.history().size() - 1).reason()).startsWith("refused: ");
            Path bundle = Path.of(java.net.URI.create(accepted.get("bundle_uri").asText()));
            BundleSignature.verify(bundle, TrustedKeys.load(List.of(keys)));
            Map<String, Object> record = ModelBundle.open(bundle, true).manifest().training();
            assertThat(record).containsKeys("holdout_before", "holdout_after", "regression_before",
                    "regression_after", "train_frames", "trigger");
            assertThat(ModelBundle.open(bundle, false).manifest().whiteboxReference()).isNotNull();

            List<JsonNode> updates = topics.awaitCommitted("model-updates", 1, Duration.ZERO);
            assertThat(updates).as("only the accepted version was announced").hasSize(1);
            assertThat(updates.get(0).get("version").asText()).isEqualTo("2");
            assertThat(topics.awaitCommitted("fleet-status", 1, Duration.ZERO)).as("nothing refused, one swap")
                    .hasSize(1);
        } finally {
            inference.cancel().get();
            fineTune.cancel().get();
        }
    }

    /** Waits for the {@code n}-th fine-tune decision (accepted, refused, skipped or failed) on {@code training}. */
    private static JsonNode awaitDecision(int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
        while (System.nanoTime() < deadline) {
            List<JsonNode> decisions = topics.awaitCommitted("training", 0, Duration.ZERO).stream()
                    .filter(e -> !e.get("event").asText().equals("fine-tune-started")
                            && !e.get("event").asText().startsWith("feedback-")).toList();
            if (decisions.size() >= n) {
                return decisions.get(n - 1);
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no fine-tune decision number " + n + " within 240 s; training events: "
                + topics.awaitCommitted("training", 0, Duration.ZERO));
    }

    private static void awaitRunning(JobClient job) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (job.getJobStatus().get() != JobStatus.RUNNING && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Thread.sleep(3000);
    }
}
