package ai.crate.ingest.source;

import ai.crate.patchify.ChannelOrder;
import ai.crate.patchify.DecodedImage;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * One grabbed frame: an 8-bit BGR image (owned by the source and reused by its next {@code grab()}), the stream's
 * presentation time in µs from its start, and, when the source had it, the frame's original JPEG bytes (so a frame
 * that needs no downscaling is published without re-encoding).
 */
public record SourceFrame(Mat bgr, long streamTimeMicros, byte[] originalJpeg) {

    /** A copy of the pixels on the heap, still valid after the source's next {@code grab()}. */
    public DecodedImage copyPixels() {
        int width = bgr.cols();
        int height = bgr.rows();
        byte[] pixels = new byte[width * height * 3];
        if (bgr.isContinuous()) {
            bgr.data().get(pixels);
        } else {
            for (int y = 0; y < height; y++) {
                bgr.ptr(y).get(pixels, y * width * 3, width * 3);
            }
        }
        return new DecodedImage(width, height, ChannelOrder.BGR, pixels);
    }
}
