package ai.crate.ingest;

import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;

import java.nio.file.Path;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MJPEG;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ420P;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.FONT_HERSHEY_SIMPLEX;
import static org.bytedeco.opencv.global.opencv_imgproc.putText;
import static org.bytedeco.opencv.global.opencv_imgproc.rectangle;

/** Real encoded test videos written with FFmpeg (through JavaCV): each frame shows its index and a moving block. */
final class TestVideos {
    private TestVideos() {
    }

    static Path h264Mp4(Path file, int width, int height, int frames) throws Exception {
        write(file, "mp4", AV_CODEC_ID_H264, AV_PIX_FMT_YUV420P, width, height, frames);
        return file;
    }

    static Path mjpegAvi(Path file, int width, int height, int frames) throws Exception {
        write(file, "avi", AV_CODEC_ID_MJPEG, AV_PIX_FMT_YUVJ420P, width, height, frames);
        return file;
    }

    private static void write(Path file, String format, int codec, int pixelFormat, int width, int height, int frames)
            throws Exception {
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toString(), width, height, 0);
             OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();
             Mat image = new Mat(height, width, CV_8UC3)) {
            recorder.setFormat(format);
            recorder.setVideoCodec(codec);
            recorder.setPixelFormat(pixelFormat);
            recorder.setFrameRate(25);
            recorder.setGopSize(12);
            recorder.setVideoBitrate(Math.max(400_000, width * height * 2));
            if (format.equals("mp4")) {
                recorder.setOption("movflags", "+faststart");
            }
            recorder.start();
            for (int i = 0; i < frames; i++) {
                draw(image, i);
                Frame frame = converter.convert(image);
                recorder.record(frame);
            }
            recorder.stop();
        }
    }

    private static void draw(Mat image, int index) {
        int width = image.cols();
        int height = image.rows();
        try (Scalar background = new Scalar(30 + index % 50, 60, 90, 0);
             Scalar block = new Scalar(255, 200, 40, 0);
             Scalar text = new Scalar(255, 255, 255, 0)) {
            image.put(background);
            int size = Math.max(8, height / 5);
            int x = (index * 7) % Math.max(1, width - size);
            try (Rect rect = new Rect(x, height / 3, size, size)) {
                rectangle(image, rect, block, -1, 8, 0);
            }
            try (Point at = new Point(10, Math.max(20, height / 6))) {
                putText(image, Integer.toString(index), at, FONT_HERSHEY_SIMPLEX, Math.max(0.5, height / 240.0),
                        text, 2, 8, false);
            }
        }
    }
}
