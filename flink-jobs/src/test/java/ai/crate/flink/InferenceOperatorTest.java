package ai.crate.flink;

import ai.crate.ingest.FrameRecords;
import ai.crate.patchify.shapes.ShapesDomain;
import ai.crate.runtime.bundle.Sha256;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.api.common.functions.util.ListCollector;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link InferenceOperator} in Flink's operator test harness: a swapped-in version is in checkpointed state, a
 * restored subtask serves it without being told again, and a restored subtask whose checkpointed bundle has gone
 * falls back to {@code --model-uri} and says so on {@code fleet-status}; a camera whose frames shift domain raises a
 * drift event, cameras that do not raise none; versions not signed by a trusted key, or altered after signing, are
 * refused with the reason; a batch runs max-wait after the job read its first frame, queued time included.
 */
class InferenceOperatorTest {
    private static final Path MODEL = Path.of("../ops/demo/crate-shapes");
    private static final InferenceOptions OPTIONS = InferenceOptions.parse("--bootstrap", "localhost:9092",
            "--model-uri", MODEL.toString(), "--engine-threads", "1", "--max-batch", "4", "--no-codes");
    /** {@link #OPTIONS} with white-box telemetry, and so drift detection, on every frame. */
    private static final InferenceOptions EVERY_FRAME = InferenceOptions.parse("--bootstrap", "localhost:9092",
            "--model-uri", MODEL.toString(), "--engine-threads", "1", "--max-batch", "4", "--no-codes",
            "--telemetry-every", "1");

    @Test
    void theSwappedVersionSurvivesARestoreAndAVanishedBundleFallsBackWithAnEvent(@TempDir Path temp)
            throws Exception {
        Path version2 = SignedBundles.copyAsSignedVersion(MODEL, temp.resolve("crate-shapes-2"), "2",
                SignedBundles.newKey(temp.resolve("keys"), "release"));
        InferenceOptions trusting = trusting(temp.resolve("keys"));
        OperatorSubtaskState state;
        try (TestFrames frames = new TestFrames(8);
             TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord> harness =
                     harness(trusting)) {
            harness.open();
            harness.processElement2(new StreamRecord<>(new ModelAnnouncement("crate-shapes", "2",
                    version2.toUri().toString(), Sha256.of(version2.resolve("manifest.json")))));
            List<JsonNode> events = awaitEvents(harness, 1);
            assertThat(events.get(0).get("event").asText()).isEqualTo("model-activated");
            assertThat(versionsOf(predict(harness, frames, 0, 1))).containsExactly("2", "2");
            state = harness.snapshot(1, 1);
        }

        try (TestFrames frames = new TestFrames(8);
             TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord> harness =
                     harness(trusting)) {
            harness.initializeState(state);
            harness.open();
            assertThat(versionsOf(predict(harness, frames, 2, 3))).containsExactly("2", "2");
            harness.setProcessingTime(harness.getProcessingTime() + 1000);
            assertThat(records(harness, OPTIONS.fleetTopic())).as("nothing to report").isEmpty();
        }

        Path away = Files.move(version2, temp.resolve("crate-shapes-2-away"));
        OperatorSubtaskState whileAway;
        try (TestFrames frames = new TestFrames(8);
             TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord> harness =
                     harness(trusting)) {
            harness.initializeState(state);
            harness.open();
            assertThat(versionsOf(predict(harness, frames, 4, 5))).containsExactly("1", "1");
            JsonNode refused = awaitEvents(harness, 1).get(0);
            assertThat(refused.get("event").asText()).isEqualTo("model-refused");
            assertThat(refused.get("reason").asText()).startsWith("on restart: ").contains("is not a directory")
                    .endsWith("serving --model-uri instead");
            assertThat(refused.get("serving").get("version").asText()).isEqualTo("1");
            whileAway = harness.snapshot(2, 2);
        }

        Files.move(away, version2);
        try (TestFrames frames = new TestFrames(8);
             TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord> harness =
                     harness(trusting)) {
            harness.initializeState(whileAway);
            harness.open();
            assertThat(versionsOf(predict(harness, frames, 6, 7))).as("the checkpointed version, back once its bundle"
                    + " is").containsExactly("2", "2");
        }
    }

    @Test
    void versionsNotSignedByATrustedKeyOrWithAlteredFilesAreRefusedAndVersionOneKeepsServing(@TempDir Path temp)
            throws Exception {
        Path trustedKey = SignedBundles.newKey(temp.resolve("trusted"), "release");
        Path strangerKey = SignedBundles.newKey(temp.resolve("stranger"), "stranger");
        Path byStranger = SignedBundles.copyAsSignedVersion(MODEL, temp.resolve("v2"), "2", strangerKey);
        Path alteredWeights = SignedBundles.copyAsSignedVersion(MODEL, temp.resolve("v3"), "3", trustedKey);
        byte[] weights = Files.readAllBytes(alteredWeights.resolve("weights.safetensors"));
        weights[weights.length - 1] ^= 1;
        Files.write(alteredWeights.resolve("weights.safetensors"), weights);
        Path alteredSignature = SignedBundles.copyAsSignedVersion(MODEL, temp.resolve("v4"), "4", trustedKey);
        String sig = Files.readString(alteredSignature.resolve("manifest.sig"));
        int at = sig.indexOf("\"signature\"") + 20;
        Files.writeString(alteredSignature.resolve("manifest.sig"), sig.substring(0, at)
                + (sig.charAt(at) == 'A' ? 'B' : 'A') + sig.substring(at + 1));
        Path unsigned = SignedBundles.copyAsVersion(MODEL, temp.resolve("v5"), "5");
        Path alteredManifest = SignedBundles.copyAsSignedVersion(MODEL, temp.resolve("v6"), "6", trustedKey);
        Files.writeString(alteredManifest.resolve("manifest.json"), Files.readString(alteredManifest.resolve(
                "manifest.json")).replace("\"resize\" : 73", "\"resize\" : 80"));

        try (TestFrames frames = new TestFrames(4);
             TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord> harness =
                     harness(trusting(temp.resolve("trusted")))) {
            harness.open();
            for (Path bundle : List.of(byStranger, alteredWeights, alteredSignature, unsigned, alteredManifest)) {
                String version = bundle.getFileName().toString().substring(1);
                harness.processElement2(new StreamRecord<>(new ModelAnnouncement("crate-shapes", version,
                        bundle.toUri().toString(), Sha256.of(bundle.resolve("manifest.json")))));
            }
            List<JsonNode> events = awaitEvents(harness, 5);
            assertThat(events).extracting(e -> e.get("event").asText()).containsOnly("model-refused").hasSize(5);
            assertThat(events.get(0).get("reason").asText()).contains("which is not trusted here");
            assertThat(events.get(1).get("reason").asText()).contains("weights.safetensors");
            assertThat(events.get(2).get("reason").asText()).contains("the signature does not match");
            assertThat(events.get(3).get("reason").asText()).contains("not signed");
            assertThat(events.get(4).get("reason").asText()).as("a manifest altered after signing")
                    .contains("the signature does not match");
            assertThat(versionsOf(predict(harness, frames, 0, 1))).containsExactly("1", "1");
        }

        try (TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord> harness = harness()) {
            harness.open();
            harness.processElement2(new StreamRecord<>(new ModelAnnouncement("crate-shapes", "2",
                    byStranger.toUri().toString(), Sha256.of(byStranger.resolve("manifest.json")))));
            assertThat(awaitEvents(harness, 1).get(0).get("reason").asText())
                    .as("a job without --trusted-keys accepts no update").contains("--trusted-keys");
        }
    }

    private static InferenceOptions trusting(Path keys) {
        return InferenceOptions.parse("--bootstrap", "localhost:9092", "--model-uri", MODEL.toString(),
                "--engine-threads", "1", "--max-batch", "4", "--no-codes", "--trusted-keys", keys.toString());
    }

    @Test
    void aShiftedCameraRaisesDriftOnceItsWindowIsFullAndAnUnshiftedOneNever() throws Exception {
        try (TestFrames plain = new TestFrames(120);
             TestFrames shifted = new TestFrames(80, ShapesDomain.SHIFTED);
             TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord> harness =
                     harness(EVERY_FRAME)) {
            harness.open();
            predict(harness, plain, 0, 119);
            assertThat(records(harness, OPTIONS.driftTopic())).as("60 frames of each camera, unshifted").isEmpty();
            predict(harness, shifted, 0, 79);
            List<JsonNode> events = records(harness, OPTIONS.driftTopic());
            assertOneEventPerCamera(events, "drift-started");
            for (JsonNode event : events) {
                assertThat(event.get("distance").asDouble()).isGreaterThan(event.get("threshold").asDouble());
                assertThat(event.get("model").get("version").asText()).isEqualTo("1");
                assertThat(event.get("frames_measured").asLong()).as("within 40 shifted frames of the camera")
                        .isBetween(61L, 100L);
            }
        }
    }

    @Test
    void aCameraDriftingAtARestartStillGetsItsDriftEnded() throws Exception {
        OperatorSubtaskState drifting;
        try (TestFrames shifted = new TestFrames(80, ShapesDomain.SHIFTED);
             TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord> harness =
                     harness(EVERY_FRAME)) {
            harness.open();
            predict(harness, shifted, 0, 79);
            assertOneEventPerCamera(records(harness, OPTIONS.driftTopic()), "drift-started");
            drifting = harness.snapshot(1, 1);
        }
        try (TestFrames shifted = new TestFrames(80, ShapesDomain.SHIFTED);
             TestFrames plain = new TestFrames(80);
             TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord> harness =
                     harness(EVERY_FRAME)) {
            harness.initializeState(drifting);
            harness.open();
            predict(harness, shifted, 0, 79);
            assertThat(records(harness, OPTIONS.driftTopic())).as("a drift that goes on is not reported again")
                    .isEmpty();
            OperatorSubtaskState stillDrifting = harness.snapshot(2, 2);
            harness.close();
            try (TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord> restored =
                         harness(EVERY_FRAME)) {
                restored.initializeState(stillDrifting);
                restored.open();
                predict(restored, plain, 0, 79);
                assertOneEventPerCamera(records(restored, OPTIONS.driftTopic()), "drift-ended");
            }
        }
    }

    @Test
    void aBatchRunsMaxWaitAfterItsFirstFrameWasReadCountingTheTimeItQueuedInTheJob() throws Exception {
        try (TestFrames frames = new TestFrames(8);
             TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord> harness = harness()) {
            harness.open();
            long now = 1_000_000;
            harness.setProcessingTime(now);
            harness.processElement1(new StreamRecord<>(readAt(frames, 0, now - 30), 0));
            harness.setProcessingTime(now + 19);
            assertThat(predictions(harness)).as("20 ms of the 50 ms max wait left").isEmpty();
            harness.setProcessingTime(now + 20);
            assertThat(predictions(harness)).as("50 ms after the job read it").hasSize(1);

            harness.getOutput().clear();
            now += 1000;
            harness.setProcessingTime(now);
            harness.processElement1(new StreamRecord<>(readAt(frames, 1, now - 400), 1));
            harness.processElement1(new StreamRecord<>(readAt(frames, 2, now - 380), 2));
            assertThat(predictions(harness)).as("frames queued behind it get a grace to join").isEmpty();
            harness.setProcessingTime(now + 5);
            List<JsonNode> late = predictions(harness);
            assertThat(late).extracting(p -> p.get("batch_size").asInt()).containsExactly(2, 2);
        }
    }

    private static FrameEvent readAt(TestFrames frames, int index, long receivedMillis) throws Exception {
        var frame = frames.frame(index);
        List<FrameEvent> events = new ArrayList<>();
        new FrameDeserializer().deserialize(new ConsumerRecord<>("frames", 0, index,
                FrameRecords.key(frame.getCameraId()), frame.toByteArray()), new ListCollector<>(events));
        events.get(0).receivedMillis = receivedMillis;
        return events.get(0);
    }

    private static List<JsonNode> predictions(TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement,
            KeyedRecord> harness) throws Exception {
        return records(harness, OPTIONS.predictionsTopic());
    }

    /** One {@code event} for each of the two cameras, and nothing else. */
    private static void assertOneEventPerCamera(List<JsonNode> events, String event) {
        assertThat(events).extracting(e -> e.get("event").asText()).containsExactly(event, event);
        assertThat(events).extracting(e -> e.get("camera_id").asText()).containsExactlyInAnyOrder("cam-0", "cam-1");
    }

    private static TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord> harness()
            throws Exception {
        return harness(OPTIONS);
    }

    private static TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord> harness(
            InferenceOptions options) throws Exception {
        var harness = new TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement, KeyedRecord>(
                new InferenceOperator(options));
        harness.setup();
        return harness;
    }

    /** Frames {@code first..last} through the operator, flushed as before a checkpoint barrier. */
    private static List<JsonNode> predict(TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement,
            KeyedRecord> harness, TestFrames frames, int first, int last) throws Exception {
        harness.getOutput().clear();
        for (int i = first; i <= last; i++) {
            harness.processElement1(new StreamRecord<>(readAt(frames, i, System.currentTimeMillis()), i));
        }
        harness.prepareSnapshotPreBarrier(99);
        return predictions(harness);
    }

    private static List<String> versionsOf(List<JsonNode> predictions) {
        return predictions.stream().map(p -> p.get("model").get("version").asText()).toList();
    }

    /** Drives processing time (the operator polls its loads on a timer) until {@code count} fleet events came. */
    private static List<JsonNode> awaitEvents(TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement,
            KeyedRecord> harness, int count) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        List<JsonNode> events = records(harness, OPTIONS.fleetTopic());
        while (events.size() < count && System.nanoTime() < deadline) {
            harness.setProcessingTime(harness.getProcessingTime() + 100);
            Thread.sleep(20);
            events = records(harness, OPTIONS.fleetTopic());
        }
        return events;
    }

    /** The JSON records the operator has sent to {@code topic} so far. */
    private static List<JsonNode> records(TwoInputStreamOperatorTestHarness<FrameEvent, ModelAnnouncement,
            KeyedRecord> harness, String topic) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (Object element : harness.getOutput()) {
            if (element instanceof StreamRecord<?> record && topic.equals(((KeyedRecord) record.getValue()).topic)) {
                out.add(KafkaTestTopics.JSON.readTree(((KeyedRecord) record.getValue()).value));
            }
        }
        return out;
    }
}
