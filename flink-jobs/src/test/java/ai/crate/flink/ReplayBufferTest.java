package ai.crate.flink;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bounded per class, oldest out first, restorable, with a stable holdout. */
class ReplayBufferTest {

    private static LabelledFrame frame(String camera, long seq, String label) {
        LabelledFrame f = new LabelledFrame();
        f.cameraId = camera;
        f.seq = seq;
        f.label = label;
        return f;
    }

    @Test
    void aFloodOfOneClassDisplacesOnlyItsOwnOldestFrames() {
        ReplayBuffer buffer = new ReplayBuffer(3);
        buffer.add(frame("c", 0, "star"));
        buffer.add(frame("c", 1, "cross"));
        for (long seq = 2; seq < 12; seq++) {
            LabelledFrame displaced = buffer.add(frame("c", seq, "arrow"));
            if (seq >= 5) {
                assertThat(displaced.seq).isEqualTo(seq - 3);
            }
        }
        assertThat(buffer.counts()).containsExactly(java.util.Map.entry("arrow", 3), java.util.Map.entry("cross", 1),
                java.util.Map.entry("star", 1));
        assertThat(buffer.size()).isEqualTo(5);
        assertThat(buffer.added()).isEqualTo(12);
        assertThat(buffer.contents()).extracting(f -> f.label + "/" + f.seq)
                .containsExactly("arrow/9", "arrow/10", "arrow/11", "cross/1", "star/0");

        ReplayBuffer restored = ReplayBuffer.restore(3, buffer.contents());
        assertThat(restored.contents()).extracting(f -> f.label + "/" + f.seq)
                .containsExactlyElementsOf(buffer.contents().stream().map(f -> f.label + "/" + f.seq).toList());
        assertThat(restored.added()).isZero();
        assertThat(ReplayBuffer.restore(1, buffer.contents()).counts().get("arrow")).isEqualTo(1);
    }

    @Test
    void theHoldoutIsStableAndAboutTheFractionAsked() {
        int held = 0;
        for (long seq = 0; seq < 10_000; seq++) {
            LabelledFrame f = frame("cam-" + (seq % 7), seq, "x");
            boolean first = ReplayBuffer.holdout(f, 0.2);
            assertThat(ReplayBuffer.holdout(frame(f.cameraId, f.seq, "other label"), 0.2)).isEqualTo(first);
            held += first ? 1 : 0;
        }
        assertThat(held).isBetween(1800, 2200);
        assertThatThrownBy(() -> new ReplayBuffer(0)).hasMessageContaining("at least one frame per class");
    }
}
