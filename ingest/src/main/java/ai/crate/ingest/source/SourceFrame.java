package ai.crate.ingest.source;

import org.bytedeco.opencv.opencv_core.Mat;

/**
 * One grabbed frame: an 8-bit BGR image (owned by the source and reused by its next {@code grab()}), the stream's
 * presentation time in µs from its start, and, when the source had it, the frame's original JPEG bytes (so a frame
 * that needs no downscaling is published without re-encoding).
 */
public record SourceFrame(Mat bgr, long streamTimeMicros, byte[] originalJpeg) {
}
