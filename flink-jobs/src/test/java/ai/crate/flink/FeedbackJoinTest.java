package ai.crate.flink;

import ai.crate.ingest.feedback.Feedback;
import org.apache.flink.api.common.typeinfo.BasicTypeInfo;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Frames meet their labels in either order within the window; labels without a frame are reported, not lost. */
class FeedbackJoinTest {

    private static KeyedTwoInputStreamOperatorTestHarness<String, FrameEvent, FeedbackEvent, LabelledFrame> harness()
            throws Exception {
        var harness = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(
                new FeedbackJoin(1000)), (FrameEvent f) -> f.cameraId + "/" + f.seq, FeedbackEvent::frameKey,
                BasicTypeInfo.STRING_TYPE_INFO);
        harness.open();
        return harness;
    }

    private static FrameEvent frame(String camera, long seq) {
        FrameEvent f = new FrameEvent();
        f.cameraId = camera;
        f.seq = seq;
        f.encoding = "JPEG";
        f.width = 4;
        f.height = 4;
        f.data = new byte[] {1, 2, 3};
        return f;
    }

    private static FeedbackEvent label(String camera, long seq, String label) {
        return FeedbackEvent.of(new Feedback(camera, seq, label, "test", 0).toJson());
    }

    @Test
    void framesAndLabelsMeetInEitherOrderAndUnmatchedLabelsAreReported() throws Exception {
        try (var harness = harness()) {
            harness.setProcessingTime(0);
            harness.processElement1(new StreamRecord<>(frame("cam-1", 1)));
            harness.processElement2(new StreamRecord<>(label("cam-1", 1, "star")));
            harness.processElement2(new StreamRecord<>(label("cam-1", 2, "cross")));
            harness.setProcessingTime(500);
            harness.processElement1(new StreamRecord<>(frame("cam-1", 2)));
            harness.processElement1(new StreamRecord<>(frame("cam-1", 3)));
            harness.processElement2(new StreamRecord<>(label("cam-9", 7, "arrow")));
            harness.processElement2(new StreamRecord<>(FeedbackEvent.of("oops".getBytes(StandardCharsets.UTF_8))));
            harness.setProcessingTime(2000);
            harness.processElement2(new StreamRecord<>(label("cam-1", 3, "late")));
            harness.setProcessingTime(4000);

            List<LabelledFrame> joined = harness.extractOutputValues();
            assertThat(joined).extracting(f -> f.cameraId + "/" + f.seq + "=" + f.label)
                    .containsExactly("cam-1/1=star", "cam-1/2=cross");
            assertThat(joined.get(0).data).containsExactly(1, 2, 3);
            List<String> reasons = harness.getSideOutput(FeedbackJoin.UNMATCHED).stream()
                    .map(r -> new String(r.getValue().value, StandardCharsets.UTF_8)).toList();
            assertThat(reasons).hasSize(3);
            assertThat(reasons).anySatisfy(r -> assertThat(r).contains("unreadable feedback"));
            assertThat(reasons).anySatisfy(r -> assertThat(r).contains("\"camera_id\":\"cam-9\"")
                    .contains("no frame cam-9/7 arrived within 1000 ms"));
            assertThat(reasons).anySatisfy(r -> assertThat(r).contains("no frame cam-1/3 arrived"));
            assertThat(harness.numKeyedStateEntries()).as("nothing left waiting").isZero();
        }
    }

    @Test
    void aWindowMustBePositive() {
        assertThatThrownBy(() -> new FeedbackJoin(0)).hasMessageContaining("must be positive");
    }
}
