package ai.crate.patchify;

import ai.crate.runtime.cpu.OpenBlasKernels;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR_RGB;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_GRAY2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_YUV2RGB_I420;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_YUV2RGB_NV12;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

/**
 * The fast decoder: OpenCV's {@code imdecode} (libjpeg-turbo, libpng) and {@code cvtColor}. It keeps its native
 * buffers between calls (a failed decode is told by {@code imdecode}'s result, since it leaves the reused output
 * holding the previous image), so the image it returns shares its pixel array with the next call's. Not thread-safe; close
 * it to free the native buffers.
 */
public final class OpenCvFrameDecoder implements FrameDecoder {
    static {
        OpenBlasKernels.select();
    }

    private BytePointer input = new BytePointer(0L);
    private final Mat decoded = new Mat();
    private byte[] pixels = new byte[0];

    @Override
    public DecodedImage decode(EncodedFrame frame) throws PatchifyException {
        frame.requireWellFormed();
        return switch (frame.format()) {
            case JPEG, PNG -> decodeCompressed(frame);
            case BGR24 -> new DecodedImage(frame.width(), frame.height(), ChannelOrder.BGR, frame.data());
            case RGB24 -> new DecodedImage(frame.width(), frame.height(), ChannelOrder.RGB, frame.data());
            case GRAY8 -> convert(frame, frame.height(), COLOR_GRAY2RGB);
            case I420 -> convert(frame, frame.height() * 3 / 2, COLOR_YUV2RGB_I420);
            case NV12 -> convert(frame, frame.height() * 3 / 2, COLOR_YUV2RGB_NV12);
        };
    }

    private DecodedImage decodeCompressed(EncodedFrame frame) throws PatchifyException {
        boolean ok;
        try (Mat encoded = wrap(frame.data(), 1, frame.data().length);
             Mat result = imdecode(encoded, IMREAD_COLOR_RGB, decoded)) {
            ok = !result.empty();
        } catch (RuntimeException e) {
            throw new PatchifyException(frame.format() + " frame of " + frame.data().length
                    + " bytes cannot be decoded: " + e.getMessage(), e);
        }
        if (!ok || decoded.empty() || decoded.channels() != 3) {
            throw new PatchifyException(frame.format() + " frame of " + frame.data().length
                    + " bytes cannot be decoded (OpenCV imdecode returned no image)");
        }
        return copyOut();
    }

    private DecodedImage convert(EncodedFrame frame, int rows, int code) {
        try (Mat raw = wrap(frame.data(), rows, frame.width())) {
            cvtColor(raw, decoded, code);
        }
        return copyOut();
    }

    private Mat wrap(byte[] data, int rows, int columns) {
        if (input.capacity() < data.length) {
            input.close();
            input = new BytePointer(Math.max(data.length, 2 * input.capacity()));
        }
        input.position(0).put(data, 0, data.length);
        return new Mat(rows, columns, CV_8UC1, input);
    }

    private DecodedImage copyOut() {
        int width = decoded.cols();
        int height = decoded.rows();
        int size = 3 * width * height;
        if (pixels.length < size) {
            pixels = new byte[size];
        }
        if (decoded.isContinuous()) {
            decoded.data().get(pixels, 0, size);
        } else {
            for (int y = 0; y < height; y++) {
                decoded.ptr(y).get(pixels, 3 * width * y, 3 * width);
            }
        }
        return new DecodedImage(width, height, ChannelOrder.RGB, pixels);
    }

    @Override
    public void close() {
        decoded.close();
        input.close();
    }
}
