package ai.crate.flink;

import ai.crate.ingest.proto.Frame;
import ai.crate.patchify.shapes.ShapesDomain;
import ai.crate.runtime.registry.ModelRegistry;
import ai.crate.runtime.signing.SigningKeys;
import ai.crate.runtime.signing.TrustedKeys;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FineTuneOperator} in Flink's operator test harness: it starts on the registry's production version and
 * announces it, reports labels the model does not have, keeps its replay buffer in state, and after a restore reruns
 * the fine-tune a failure interrupted (which, on too few frames for a holdout, is skipped with the reason).
 */
class FineTuneOperatorTest {
    private static final Path MODEL = Path.of("../ops/demo/crate-shapes");

    @Test
    void startsOnTheRegistrysProductionVersionAndRerunsAnInterruptedFineTuneAfterARestore(@TempDir Path temp)
            throws Exception {
        Path key = SignedBundles.newKey(temp.resolve("keys"), "release");
        Path registryDir = temp.resolve("registry");
        Path version2 = SignedBundles.copyAsSignedVersion(MODEL, temp.resolve("v2"), "2", key);
        ModelRegistry registry = ModelRegistry.open(registryDir);
        registry.publish(version2, Optional.of(TrustedKeys.of(SigningKeys.publicBeside(key))));
        registry.promote("crate-shapes", "2", "promoted by the test");
        FineTuneOptions options = FineTuneOptions.parse("--bootstrap", "localhost:9092", "--model-uri",
                MODEL.toString(), "--registry", registryDir.toString(), "--signing-key", key.toString(),
                "--regression", "shapes:40:7", "--every-labels", "20", "--every-minutes", "0", "--steps", "5",
                "--batch", "4", "--threads", "1");

        OperatorSubtaskState state;
        try (TestFrames frames = new TestFrames(20, ShapesDomain.SHIFTED); var harness = harness(options)) {
            harness.open();
            tick(harness);
            List<JsonNode> announced = mainOutput(harness);
            assertThat(announced).hasSize(1);
            assertThat(announced.get(0).get("version").asText()).isEqualTo("2");
            assertThat(announced.get(0).get("bundle_uri").asText()).contains("registry/bundles/crate-shapes-2");

            LabelledFrame unknown = labelled(frames.frame(0));
            unknown.label = "hexagon";
            harness.processElement1(new StreamRecord<>(unknown));
            assertThat(events(harness, e -> true)).extracting(e -> e.get("event").asText())
                    .containsExactly("feedback-unknown-label");
            for (int i = 0; i < 20; i++) {
                harness.processElement1(new StreamRecord<>(labelled(frames.frame(i))));
            }
            List<JsonNode> started = events(harness, e -> e.get("event").asText().equals("fine-tune-started"));
            assertThat(started).hasSize(1);
            assertThat(started.get(0).get("trigger").asText()).isEqualTo("20 new labels");
            assertThat(started.get(0).get("version").asText()).isEqualTo("3");
            assertThat(started.get(0).get("parent_version").asText()).isEqualTo("2");
            assertThat(started.get(0).get("frames").asInt()).isEqualTo(20);
            state = harness.snapshot(1, 1);
        }

        try (var harness = harness(options)) {
            harness.initializeState(state);
            harness.open();
            JsonNode decision = null;
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (decision == null && System.nanoTime() < deadline) {
                tick(harness);
                decision = events(harness, e -> !e.get("event").asText().equals("fine-tune-started")).stream()
                        .findFirst().orElse(null);
                Thread.sleep(20);
            }
            List<JsonNode> started = events(harness, e -> e.get("event").asText().equals("fine-tune-started"));
            assertThat(started).extracting(e -> e.get("trigger").asText())
                    .containsExactly("rerun of the fine-tune a restart interrupted");
            assertThat(started.get(0).get("frames").asInt()).as("the buffer came back from state").isEqualTo(20);
            assertThat(decision).isNotNull();
            assertThat(decision.get("event").asText()).isEqualTo("fine-tune-skipped");
            assertThat(decision.get("reason").asText()).contains("holdout frames usable");
            assertThat(mainOutput(harness)).as("version 2 was announced before; not again").isEmpty();
        }
    }

    private static TwoInputStreamOperatorTestHarness<LabelledFrame, String, KeyedRecord> harness(
            FineTuneOptions options) throws Exception {
        var harness = new TwoInputStreamOperatorTestHarness<LabelledFrame, String, KeyedRecord>(
                new FineTuneOperator(options));
        harness.setup();
        return harness;
    }

    private static LabelledFrame labelled(Frame frame) {
        LabelledFrame out = new LabelledFrame();
        out.cameraId = frame.getCameraId();
        out.seq = frame.getSeq();
        out.label = frame.getLabel();
        out.source = "test";
        out.encoding = frame.getEncoding().name();
        out.width = frame.getWidth();
        out.height = frame.getHeight();
        out.data = frame.getData().toByteArray();
        return out;
    }

    private static void tick(TwoInputStreamOperatorTestHarness<LabelledFrame, String, KeyedRecord> harness)
            throws Exception {
        harness.setProcessingTime(harness.getProcessingTime() + 250);
    }

    private static List<JsonNode> mainOutput(TwoInputStreamOperatorTestHarness<LabelledFrame, String, KeyedRecord>
                                                     harness) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (Object element : harness.getOutput()) {
            if (element instanceof StreamRecord<?> record) {
                out.add(KafkaTestTopics.JSON.readTree(((KeyedRecord) record.getValue()).value));
            }
        }
        return out;
    }

    private static List<JsonNode> events(TwoInputStreamOperatorTestHarness<LabelledFrame, String, KeyedRecord>
                                                 harness, Predicate<JsonNode> which) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        var side = harness.getSideOutput(FineTuneOperator.EVENTS);
        if (side != null) {
            for (StreamRecord<KeyedRecord> record : side) {
                JsonNode event = KafkaTestTopics.JSON.readTree(record.getValue().value);
                if (which.test(event)) {
                    out.add(event);
                }
            }
        }
        return out;
    }
}
