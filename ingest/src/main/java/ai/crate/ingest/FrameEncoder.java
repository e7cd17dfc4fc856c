package ai.crate.ingest;

import ai.crate.ingest.source.SourceFrame;
import ai.crate.patchify.EncodedFrame;
import ai.crate.patchify.FrameFormat;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_JPEG_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * Brings a grabbed frame to what is published: downscaled (area averaging) so its larger side is at most
 * {@code maxSide}, then JPEG-encoded at the given quality or sent as raw BGR24. A JPEG that already fits is passed
 * through unchanged. Not thread-safe; close it to free its native buffers.
 */
public final class FrameEncoder implements AutoCloseable {
    private final int maxSide;
    private final FrameFormat format;
    private final IntPointer jpegParams;
    private final Mat scaled = new Mat();
    private final BytePointer encoded = new BytePointer();

    /**
     * @param maxSide largest side in pixels, 0 for no limit
     * @param format  {@link FrameFormat#JPEG} or {@link FrameFormat#BGR24}
     * @param quality JPEG quality 1..100
     */
    public FrameEncoder(int maxSide, FrameFormat format, int quality) {
        if (format != FrameFormat.JPEG && format != FrameFormat.BGR24) {
            throw new IllegalArgumentException("frames are published as jpeg or bgr24, not " + format);
        }
        if (quality < 1 || quality > 100) {
            throw new IllegalArgumentException("JPEG quality must be between 1 and 100, got " + quality);
        }
        if (maxSide < 0) {
            throw new IllegalArgumentException("max side must not be negative, got " + maxSide);
        }
        this.maxSide = maxSide;
        this.format = format;
        this.jpegParams = new IntPointer(IMWRITE_JPEG_QUALITY, quality);
    }

    public FrameFormat format() {
        return format;
    }

    public EncodedFrame encode(SourceFrame frame) throws IngestException {
        Mat image = frame.bgr();
        if (image.channels() != 3 || image.depth() != 0) {
            throw new IngestException("source delivered a frame with " + image.channels() + " channels of depth "
                    + image.depth() + "; expected 8-bit BGR");
        }
        boolean fits = maxSide == 0 || Math.max(image.cols(), image.rows()) <= maxSide;
        if (fits && format == FrameFormat.JPEG && frame.originalJpeg() != null) {
            return new EncodedFrame(FrameFormat.JPEG, image.cols(), image.rows(), frame.originalJpeg());
        }
        Mat out = image;
        if (!fits) {
            double scale = (double) maxSide / Math.max(image.cols(), image.rows());
            int width = Math.max(1, (int) Math.round(image.cols() * scale));
            int height = Math.max(1, (int) Math.round(image.rows() * scale));
            try (Size size = new Size(width, height)) {
                resize(image, scaled, size, 0, 0, INTER_AREA);
            }
            out = scaled;
        }
        if (format == FrameFormat.BGR24) {
            return new EncodedFrame(FrameFormat.BGR24, out.cols(), out.rows(), copyPixels(out));
        }
        if (!imencode(".jpg", out, encoded, jpegParams)) {
            throw new IngestException("OpenCV imencode could not JPEG-encode a " + out.cols() + "x" + out.rows()
                    + " frame");
        }
        byte[] bytes = new byte[(int) encoded.limit()];
        encoded.get(bytes);
        return new EncodedFrame(FrameFormat.JPEG, out.cols(), out.rows(), bytes);
    }

    private static byte[] copyPixels(Mat image) {
        int rowBytes = 3 * image.cols();
        byte[] bytes = new byte[rowBytes * image.rows()];
        if (image.isContinuous()) {
            image.data().get(bytes);
        } else {
            for (int y = 0; y < image.rows(); y++) {
                image.ptr(y).get(bytes, y * rowBytes, rowBytes);
            }
        }
        return bytes;
    }

    @Override
    public void close() {
        scaled.close();
        encoded.close();
        jpegParams.close();
    }
}
