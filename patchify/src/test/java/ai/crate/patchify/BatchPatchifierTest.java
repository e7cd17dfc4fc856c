package ai.crate.patchify;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A batch prepared on several threads equals one prepared frame by frame, and refused frames leave no hole. */
class BatchPatchifierTest {
    private static final PreprocessSpec SPEC = PreprocessSpec.imagenet(224);

    @Test
    void framesPreparedOnThreeThreadsEqualThoseOfOnePatchifierInOrder() throws Exception {
        List<EncodedFrame> frames = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            frames.add(Photos.frame(Photos.ALL.get(i % Photos.ALL.size())[1]));
        }
        ImageBatch batch = new ImageBatch(8, SPEC);
        try (BatchPatchifier patchifiers = new BatchPatchifier(SPEC, 3); Patchifier one = Patchifier.fast(SPEC)) {
            List<BatchPatchifier.Outcome> outcomes = patchifiers.addAll(frames, batch);
            assertThat(outcomes).hasSize(7).allMatch(BatchPatchifier.Outcome::prepared)
                    .allMatch(o -> o.millis() > 0);
            assertThat(batch.size()).isEqualTo(7);
            for (int i = 0; i < 7; i++) {
                assertThat(slot(batch, i)).as("slot %d", i).isEqualTo(one.patchify(frames.get(i)));
            }
        }
    }

    @Test
    void refusedFramesAreReportedInPlaceAndTheOthersStayConsecutive() throws Exception {
        EncodedFrame coffee = Photos.frame("coffee.jpg");
        EncodedFrame rocket = Photos.frame("rocket.jpg");
        EncodedFrame truncated = EncodedFrame.compressed(FrameFormat.JPEG, Arrays.copyOf(Photos.bytes("camera.jpg"),
                100));
        EncodedFrame shortRaw = new EncodedFrame(FrameFormat.BGR24, 64, 48, new byte[64 * 48 * 3 - 1]);
        ImageBatch batch = new ImageBatch(8, SPEC);
        try (BatchPatchifier patchifiers = new BatchPatchifier(SPEC, 2); Patchifier one = Patchifier.fast(SPEC)) {
            patchifiers.addAll(List.of(rocket), batch);
            List<BatchPatchifier.Outcome> outcomes = patchifiers.addAll(List.of(truncated, coffee, shortRaw, rocket),
                    batch);
            assertThat(outcomes).extracting(BatchPatchifier.Outcome::prepared).containsExactly(false, true, false,
                    true);
            assertThat(outcomes.get(0).failure()).isInstanceOf(PatchifyException.class)
                    .hasMessageContaining("JPEG frame of 100 bytes");
            assertThat(outcomes.get(2).failure()).hasMessageContaining("must have 9216 bytes, got 9215");
            assertThat(batch.size()).isEqualTo(3);
            assertThat(slot(batch, 0)).isEqualTo(one.patchify(rocket));
            assertThat(slot(batch, 1)).isEqualTo(one.patchify(coffee));
            assertThat(slot(batch, 2)).isEqualTo(one.patchify(rocket));
        }
    }

    @Test
    void aBatchWithoutRoomOrOfAnotherSizeIsRefusedAndLeftAsItWas() {
        ImageBatch batch = new ImageBatch(2, SPEC);
        EncodedFrame coffee = Photos.frame("coffee.jpg");
        try (BatchPatchifier patchifiers = new BatchPatchifier(SPEC, 2)) {
            patchifiers.addAll(List.of(coffee), batch);
            assertThatThrownBy(() -> patchifiers.addAll(List.of(coffee, coffee), batch))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("room for 1 more images, not 2");
            assertThat(batch.size()).isEqualTo(1);
            assertThatThrownBy(() -> patchifiers.addAll(List.of(coffee), new ImageBatch(2, PreprocessSpec.imagenet(
                    112)))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("floats");
        }
        assertThatThrownBy(() -> new BatchPatchifier(SPEC, 0)).hasMessageContaining("threads must be >= 1, got 0");
    }

    private static float[] slot(ImageBatch batch, int index) {
        int floats = SPEC.imageFloats();
        return Arrays.copyOfRange(batch.array(), index * floats, (index + 1) * floats);
    }
}
