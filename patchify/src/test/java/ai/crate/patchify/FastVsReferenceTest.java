package ai.crate.patchify;

import ai.crate.runtime.bundle.Preprocessing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The fast path (OpenCV, crop-aware tables) against the reference path (ImageIO, formulas in double). */
class FastVsReferenceTest {
    private static final long SEED = System.nanoTime();
    private final Random random = new Random(SEED);

    @Test
    void preprocessingAgreesWithin1e5OnRandomImagesAndGeometries() {
        System.out.println("FastVsReferenceTest seed " + SEED);
        int[][] sizes = {{640, 480}, {480, 640}, {1920, 1080}, {224, 224}, {256, 256}, {101, 77}, {7, 300},
                {300, 7}, {1, 1}, {3, 2}, {225, 1000}};
        for (int[] size : sizes) {
            for (ResizeMode mode : ResizeMode.values()) {
                for (ChannelOrder order : ChannelOrder.values()) {
                    DecodedImage image = randomImage(size[0], size[1], order);
                    assertAgree(image, new PreprocessSpec(randomPreprocessing(), mode));
                    assertAgree(image, new PreprocessSpec(PreprocessSpec.imagenet(224).preprocessing(), mode));
                }
            }
        }
    }

    @Test
    void cropLargerThanTheResizedImageIsPaddedWithZerosAsTorchvisionDoes() {
        PreprocessSpec spec = new PreprocessSpec(new Preprocessing(100, 121, 130, Preprocessing.IMAGENET_MEAN.clone(),
                Preprocessing.IMAGENET_STD.clone()), ResizeMode.SHORTER_SIDE);
        DecodedImage image = randomImage(150, 101, ChannelOrder.RGB);
        float[] fast = assertAgree(image, spec);
        float expectedPad = (float) (-0.485 / 0.229);
        assertThat(fast[0]).isEqualTo(expectedPad);
    }

    @Test
    void imagesAlreadyAtTheResizedSizeAreCroppedAsTheReferenceDoes() {
        int[][] geometries = {{256, 256, 224, 224}, {100, 100, 121, 90}, {64, 48, 40, 64}, {48, 64, 48, 48}};
        for (int[] g : geometries) {
            PreprocessSpec spec = new PreprocessSpec(new Preprocessing(Math.min(g[0], g[1]), g[2], g[3],
                    Preprocessing.IMAGENET_MEAN.clone(), Preprocessing.IMAGENET_STD.clone()), ResizeMode.SHORTER_SIDE);
            for (ChannelOrder order : ChannelOrder.values()) {
                FastPreprocessor fast = new FastPreprocessor(spec);
                DecodedImage image = randomImage(g[0], g[1], order);
                assertClose(fast.preprocess(image), new ReferencePreprocessor(spec).preprocess(image), 1e-5);
                DecodedImage next = randomImage(g[0], g[1], order);
                assertClose(fast.preprocess(next), new ReferencePreprocessor(spec).preprocess(next), 1e-5);
            }
        }
    }

    @Test
    void oneFastPreprocessorServesFramesOfChangingSize() {
        FastPreprocessor fast = new FastPreprocessor(PreprocessSpec.imagenet(224));
        ReferencePreprocessor reference = new ReferencePreprocessor(PreprocessSpec.imagenet(224));
        for (int[] size : new int[][]{{640, 480}, {320, 240}, {1280, 720}, {640, 480}}) {
            DecodedImage image = randomImage(size[0], size[1], ChannelOrder.BGR);
            assertClose(fast.preprocess(image), reference.preprocess(image), 1e-5);
        }
    }

    @Test
    void pngDecodesToIdenticalPixelsOnBothPaths() throws PatchifyException {
        EncodedFrame frame = Photos.frame("chelsea.png");
        try (OpenCvFrameDecoder fast = new OpenCvFrameDecoder(); JavaFrameDecoder reference = new JavaFrameDecoder()) {
            assertSamePixels(fast.decode(frame), reference.decode(frame));
        }
    }

    @ParameterizedTest
    @EnumSource(value = FrameFormat.class, names = {"I420", "NV12", "GRAY8", "BGR24", "RGB24"})
    void rawFramesDecodeToIdenticalPixelsOnBothPaths(FrameFormat format) throws PatchifyException {
        int width = 64;
        int height = 48;
        byte[] data = new byte[(int) format.rawSize(width, height)];
        random.nextBytes(data);
        EncodedFrame frame = new EncodedFrame(format, width, height, data);
        try (OpenCvFrameDecoder fast = new OpenCvFrameDecoder(); JavaFrameDecoder reference = new JavaFrameDecoder()) {
            assertSamePixels(fast.decode(frame), reference.decode(frame));
        }
    }

    @Test
    void jpegDecodersDifferByLessThanOneLevelOnAverage() throws PatchifyException {
        EncodedFrame frame = Photos.frame("coffee.jpg");
        try (OpenCvFrameDecoder fast = new OpenCvFrameDecoder(); JavaFrameDecoder reference = new JavaFrameDecoder()) {
            DecodedImage a = fast.decode(frame);
            DecodedImage b = reference.decode(frame);
            assertThat(a.width()).isEqualTo(b.width());
            long sum = 0;
            for (int y = 0; y < a.height(); y++) {
                for (int x = 0; x < a.width(); x++) {
                    for (int c = 0; c < 3; c++) {
                        sum += Math.abs(a.value(x, y, c) - b.value(x, y, c));
                    }
                }
            }
            assertThat((double) sum / (3.0 * a.width() * a.height())).isLessThan(1.0);
        }
    }

    @Test
    void wholePatchifiersAgreeOnPhotographs() throws PatchifyException {
        PreprocessSpec spec = PreprocessSpec.imagenet(224);
        try (Patchifier fast = Patchifier.fast(spec); Patchifier reference = Patchifier.reference(spec)) {
            assertClose(fast.patchify(Photos.frame("chelsea.png")), reference.patchify(Photos.frame("chelsea.png")), 1e-5);
        }
    }

    private float[] assertAgree(DecodedImage image, PreprocessSpec spec) {
        float[] fast = new FastPreprocessor(spec).preprocess(image);
        float[] reference = new ReferencePreprocessor(spec).preprocess(image);
        assertClose(fast, reference, 1e-5);
        return fast;
    }

    private static void assertClose(float[] actual, float[] expected, double tolerance) {
        assertThat(actual).hasSameSizeAs(expected);
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            max = Math.max(max, Math.abs(actual[i] - expected[i]));
        }
        assertThat(max).as("largest difference (seed %d)", SEED).isLessThanOrEqualTo(tolerance);
    }

    private static void assertSamePixels(DecodedImage a, DecodedImage b) {
        assertThat(a.width()).isEqualTo(b.width());
        assertThat(a.height()).isEqualTo(b.height());
        for (int y = 0; y < a.height(); y++) {
            for (int x = 0; x < a.width(); x++) {
                for (int c = 0; c < 3; c++) {
                    assertThat(a.value(x, y, c)).as("pixel (%d, %d) channel %d", x, y, c).isEqualTo(b.value(x, y, c));
                }
            }
        }
    }

    private DecodedImage randomImage(int width, int height, ChannelOrder order) {
        byte[] pixels = new byte[3 * width * height];
        random.nextBytes(pixels);
        return new DecodedImage(width, height, order, pixels);
    }

    private Preprocessing randomPreprocessing() {
        int crop = 16 + random.nextInt(240);
        int resize = Math.max(1, crop + random.nextInt(80) - 20);
        double[] mean = {random.nextDouble(), random.nextDouble(), random.nextDouble()};
        double[] std = {0.1 + random.nextDouble(), 0.1 + random.nextDouble(), 0.1 + random.nextDouble()};
        return new Preprocessing(resize, crop, crop + random.nextInt(3) * 16, mean, std);
    }
}
