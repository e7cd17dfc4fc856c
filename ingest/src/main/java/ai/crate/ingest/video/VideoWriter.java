package ai.crate.ingest.video;

import ai.crate.ingest.IngestException;
import ai.crate.patchify.ChannelOrder;
import ai.crate.patchify.DecodedImage;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameRecorder;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.file.Path;
import java.util.Locale;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MJPEG;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ420P;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

/**
 * Writes BGR frames of one size to a video file with FFmpeg: H.264 in MP4 (with the index at the front, so a
 * truncated file keeps its readable frames) or MJPEG in AVI, chosen by the file's extension. Close to finish the file.
 */
public final class VideoWriter implements AutoCloseable {
    private final FFmpegFrameRecorder recorder;
    private final OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();
    private final int width;
    private final int height;
    private final Path file;

    public VideoWriter(Path file, int width, int height, double fps) throws IngestException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean avi = name.endsWith(".avi");
        if (!avi && !name.endsWith(".mp4")) {
            throw new IngestException(file + ": write .mp4 (H.264) or .avi (MJPEG)");
        }
        if (width < 2 || height < 2 || width % 2 != 0 || height % 2 != 0) {
            throw new IngestException(file + ": video frames need an even width and height, got " + width + "x"
                    + height);
        }
        this.file = file;
        this.width = width;
        this.height = height;
        recorder = new FFmpegFrameRecorder(file.toString(), width, height, 0);
        recorder.setFormat(avi ? "avi" : "mp4");
        recorder.setVideoCodec(avi ? AV_CODEC_ID_MJPEG : AV_CODEC_ID_H264);
        recorder.setPixelFormat(avi ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P);
        recorder.setFrameRate(fps);
        recorder.setGopSize((int) Math.max(1, Math.round(fps)));
        recorder.setVideoBitrate(Math.max(500_000, width * height * 4));
        if (!avi) {
            recorder.setOption("movflags", "+faststart");
        }
        try {
            recorder.start();
        } catch (FrameRecorder.Exception e) {
            throw new IngestException("cannot start writing " + file + ": " + e.getMessage(), e);
        }
    }

    /** Appends one frame; it must have the writer's size. */
    public void write(DecodedImage image) throws IngestException {
        if (image.width() != width || image.height() != height) {
            throw new IngestException(file + ": frame of " + image.width() + "x" + image.height() + " in a "
                    + width + "x" + height + " video");
        }
        byte[] bgr = image.pixels();
        if (image.order() == ChannelOrder.RGB) {
            bgr = bgr.clone();
            for (int i = 0; i < 3 * width * height; i += 3) {
                byte r = bgr[i];
                bgr[i] = bgr[i + 2];
                bgr[i + 2] = r;
            }
        }
        try (BytePointer pixels = new BytePointer(bgr); Mat mat = new Mat(height, width, CV_8UC3, pixels)) {
            Frame frame = converter.convert(mat);
            recorder.record(frame);
        } catch (FrameRecorder.Exception e) {
            throw new IngestException("cannot write a frame to " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IngestException {
        try {
            recorder.stop();
            recorder.release();
        } catch (FrameRecorder.Exception e) {
            throw new IngestException("cannot finish " + file + ": " + e.getMessage(), e);
        } finally {
            converter.close();
        }
    }
}
