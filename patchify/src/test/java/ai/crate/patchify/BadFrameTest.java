package ai.crate.patchify;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Frames that cannot be decoded get a clear error on both paths, and leave a batch as it was. */
class BadFrameTest {

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void truncatedJpegIsRefusedNotHalfDecoded(boolean fastPath) {
        byte[] whole = Photos.bytes("coffee.jpg");
        EncodedFrame cut = EncodedFrame.compressed(FrameFormat.JPEG, Arrays.copyOf(whole, whole.length / 2));
        assertThatThrownBy(() -> decode(fastPath, cut))
                .isInstanceOf(PatchifyException.class).hasMessageContaining("truncated");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void corruptJpegBodyIsRefused(boolean fastPath) {
        byte[] bytes = Photos.bytes("coffee.jpg");
        byte[] corrupt = new byte[200];
        corrupt[0] = (byte) 0xFF;
        corrupt[1] = (byte) 0xD8;
        Arrays.fill(corrupt, 2, 198, (byte) 0x13);
        corrupt[198] = (byte) 0xFF;
        corrupt[199] = (byte) 0xD9;
        assertThat(bytes.length).isGreaterThan(200);
        assertThatThrownBy(() -> decode(fastPath, EncodedFrame.compressed(FrameFormat.JPEG, corrupt)))
                .isInstanceOf(PatchifyException.class).hasMessageContaining("JPEG frame of 200 bytes");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void corruptFrameAfterAGoodOneIsRefusedNotAnsweredWithThePreviousImage(boolean fastPath) throws PatchifyException {
        byte[] corrupt = new byte[200];
        corrupt[0] = (byte) 0xFF;
        corrupt[1] = (byte) 0xD8;
        corrupt[198] = (byte) 0xFF;
        corrupt[199] = (byte) 0xD9;
        try (FrameDecoder decoder = fastPath ? new OpenCvFrameDecoder() : new JavaFrameDecoder()) {
            decoder.decode(Photos.frame("coffee.jpg"));
            assertThatThrownBy(() -> decoder.decode(EncodedFrame.compressed(FrameFormat.JPEG, corrupt)))
                    .isInstanceOf(PatchifyException.class);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void pngBytesLabelledJpegAreRefused(boolean fastPath) {
        EncodedFrame mislabelled = EncodedFrame.compressed(FrameFormat.JPEG, Photos.bytes("chelsea.png"));
        assertThatThrownBy(() -> decode(fastPath, mislabelled))
                .isInstanceOf(PatchifyException.class).hasMessageContaining("SOI marker");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void truncatedPngIsRefused(boolean fastPath) {
        byte[] whole = Photos.bytes("chelsea.png");
        EncodedFrame cut = EncodedFrame.compressed(FrameFormat.PNG, Arrays.copyOf(whole, whole.length / 3));
        assertThatThrownBy(() -> decode(fastPath, cut)).isInstanceOf(PatchifyException.class)
                .hasMessageContaining("PNG frame of " + whole.length / 3 + " bytes");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void rawFrameOfTheWrongSizeIsRefused(boolean fastPath) {
        EncodedFrame frame = new EncodedFrame(FrameFormat.BGR24, 64, 48, new byte[64 * 48 * 3 - 1]);
        assertThatThrownBy(() -> decode(fastPath, frame)).isInstanceOf(PatchifyException.class)
                .hasMessageContaining("BGR24 frame of 64x48 must have 9216 bytes, got 9215");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void yuvFrameOfOddSizeIsRefused(boolean fastPath) {
        EncodedFrame frame = new EncodedFrame(FrameFormat.I420, 63, 48, new byte[5000]);
        assertThatThrownBy(() -> decode(fastPath, frame)).isInstanceOf(PatchifyException.class)
                .hasMessageContaining("even width and height");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void jpegClaimingAHugeSizeIsRefusedBeforeDecoding(boolean fastPath) {
        byte[] bytes = Photos.bytes("coffee.jpg");
        int sof = frameHeaderOffset(bytes);
        bytes[sof + 5] = (byte) 0xFD;
        bytes[sof + 6] = (byte) 0xE8;
        bytes[sof + 7] = (byte) 0xFD;
        bytes[sof + 8] = (byte) 0xE8;
        assertThatThrownBy(() -> decode(fastPath, EncodedFrame.compressed(FrameFormat.JPEG, bytes)))
                .isInstanceOf(PatchifyException.class)
                .hasMessage("JPEG frame of " + bytes.length + " bytes claims 65000x65000 pixels: a frame must have a"
                        + " positive size of at most 40000000 pixels");
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void pngClaimingAHugeSizeIsRefusedBeforeDecoding(boolean fastPath) {
        byte[] bytes = Photos.bytes("chelsea.png");
        byte[] huge = {0, 1, (byte) 0x86, (byte) 0xA0};
        System.arraycopy(huge, 0, bytes, 16, 4);
        System.arraycopy(huge, 0, bytes, 20, 4);
        assertThatThrownBy(() -> decode(fastPath, EncodedFrame.compressed(FrameFormat.PNG, bytes)))
                .isInstanceOf(PatchifyException.class).hasMessageContaining("claims 100000x100000 pixels");
    }

    /** Where the first frame header (SOF0-SOF15, not DHT, JPG or DAC) starts. */
    private static int frameHeaderOffset(byte[] jpeg) {
        for (int i = 2; i + 1 < jpeg.length; i++) {
            int marker = jpeg[i + 1] & 0xFF;
            if ((jpeg[i] & 0xFF) == 0xFF && marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8
                    && marker != 0xCC) {
                return i;
            }
        }
        throw new AssertionError("no frame header");
    }

    @Test
    void failedFrameLeavesTheBatchAndItsImagesUntouched() throws PatchifyException {
        PreprocessSpec spec = PreprocessSpec.imagenet(224);
        ImageBatch batch = new ImageBatch(2, spec);
        try (Patchifier patchifier = Patchifier.fast(spec)) {
            batch.add(Photos.frame("coffee.jpg"), patchifier);
            float[] first = Arrays.copyOf(batch.array(), spec.imageFloats());
            byte[] whole = Photos.bytes("rocket.jpg");
            EncodedFrame cut = EncodedFrame.compressed(FrameFormat.JPEG, Arrays.copyOf(whole, 1000));
            assertThatThrownBy(() -> batch.add(cut, patchifier)).isInstanceOf(PatchifyException.class);
            assertThat(batch.size()).isEqualTo(1);
            assertThat(Arrays.copyOf(batch.array(), spec.imageFloats())).containsExactly(first);
            batch.add(Photos.frame("rocket.jpg"), patchifier);
            assertThat(batch.isFull()).isTrue();
            assertThatThrownBy(() -> batch.add(Photos.frame("rocket.jpg"), patchifier))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("batch is full (2 images)");
        }
    }

    @Test
    void unknownFormatNameListsTheKnownOnes() {
        assertThatThrownBy(() -> FrameFormat.parse("webp")).hasMessageContaining("unknown frame format 'webp'")
                .hasMessageContaining("jpeg");
    }

    private static DecodedImage decode(boolean fastPath, EncodedFrame frame) throws PatchifyException {
        Supplier<FrameDecoder> decoder = fastPath ? OpenCvFrameDecoder::new : JavaFrameDecoder::new;
        try (FrameDecoder d = decoder.get()) {
            return d.decode(frame);
        }
    }
}
