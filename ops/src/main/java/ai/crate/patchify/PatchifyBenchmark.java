package ai.crate.patchify;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.randn;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.circle;

/**
 * A JPEG frame to a normalised 224×224 tensor (decode, resize, crop, normalise), on 2 threads, one
 * {@link Patchifier} each: frames per second is the score ×1000 (ops/ms). {@code fast} is OpenCV plus the table-driven
 * resampler, {@code reference} the ImageIO and double-precision oracle. The frame is a synthetic 640×480 (or the
 * size given) scene of blurred noise and discs, JPEG quality 90, so it decodes like a camera picture rather than a flat
 * test card; {@code -p file=photo.jpg} measures a file instead. Run with {@code bin/crate jmh -- PatchifyBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Threads(2)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PatchifyBenchmark {
    @Param({"640x480"})
    public String size;

    @Param({"fast", "reference"})
    public String path;

    /** A JPEG file to use instead of the synthetic frame (then {@code size} is ignored). */
    @Param({""})
    public String file;

    private Patchifier patchifier;
    private FrameDecoder decoder;
    private Preprocessor preprocessor;
    private DecodedImage decoded;
    private EncodedFrame frame;
    private float[] out;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = size.split("x");
        frame = EncodedFrame.compressed(FrameFormat.JPEG, file.isEmpty()
                ? syntheticJpeg(Integer.parseInt(parts[0]), Integer.parseInt(parts[1])) : readFile(file));
        PreprocessSpec spec = PreprocessSpec.imagenet(224);
        patchifier = path.equals("fast") ? Patchifier.fast(spec) : Patchifier.reference(spec);
        decoder = path.equals("fast") ? new OpenCvFrameDecoder() : new JavaFrameDecoder();
        preprocessor = path.equals("fast") ? new FastPreprocessor(spec) : new ReferencePreprocessor(spec);
        out = new float[spec.imageFloats()];
        try {
            decoded = decoder.decode(frame);
        } catch (PatchifyException e) {
            throw new IllegalStateException("the benchmark frame does not decode", e);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        patchifier.close();
        decoder.close();
    }

    /** Decoding alone. */
    @Benchmark
    public DecodedImage decode() throws PatchifyException {
        return decoder.decode(frame);
    }

    /** Resize, crop and normalise alone, from decoded pixels. */
    @Benchmark
    public float[] preprocess() {
        preprocessor.preprocess(decoded, out, 0);
        return out;
    }

    @Benchmark
    public float[] jpegToTensor() throws PatchifyException {
        patchifier.patchify(frame, out, 0);
        return out;
    }

    private static byte[] readFile(String path) {
        try {
            return java.nio.file.Files.readAllBytes(java.nio.file.Path.of(path));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read benchmark input " + path, e);
        }
    }

    static byte[] syntheticJpeg(int width, int height) {
        Random random = new Random(42);
        try (Mat image = new Mat(height, width, CV_8UC3);
             Mat mean = new Mat(1, 3, org.bytedeco.opencv.global.opencv_core.CV_64F);
             Mat deviation = new Mat(1, 3, org.bytedeco.opencv.global.opencv_core.CV_64F);
             BytePointer encoded = new BytePointer();
             IntPointer params = new IntPointer(IMWRITE_JPEG_QUALITY, 90)) {
            mean.put(new Scalar(120, 110, 100, 0));
            deviation.put(new Scalar(60, 60, 60, 0));
            randn(image, mean, deviation);
            GaussianBlur(image, image, new org.bytedeco.opencv.opencv_core.Size(0, 0), 3.0);
            for (int i = 0; i < 40; i++) {
                try (Point center = new Point(random.nextInt(width), random.nextInt(height));
                     Scalar colour = new Scalar(random.nextInt(256), random.nextInt(256), random.nextInt(256), 0)) {
                    circle(image, center, 5 + random.nextInt(60), colour, -1, 16, 0);
                }
            }
            imencode(".jpg", image, encoded, params);
            byte[] bytes = new byte[(int) encoded.limit()];
            encoded.get(bytes);
            return bytes;
        }
    }
}
