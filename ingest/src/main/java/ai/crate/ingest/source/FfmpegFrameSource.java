package ai.crate.ingest.source;

import ai.crate.ingest.IngestException;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;
import static org.bytedeco.ffmpeg.global.swscale.SWS_AREA;

/**
 * Video through FFmpeg: files (mp4, mkv, avi, ...), network streams (RTSP over TCP, HTTP, ...) and V4L2 cameras
 * ({@code v4l2:/dev/video0}). Frames are scaled to the maximum side while being converted to BGR. Files end with an
 * error, not silently, when they are shorter than their container says. Live sources reconnect with exponential
 * backoff, for up to {@link SourceSettings#reconnectFor()}, and never block longer than the timeout on a dead socket.
 */
public final class FfmpegFrameSource implements FrameSource {
    private static final Logger LOG = LoggerFactory.getLogger(FfmpegFrameSource.class);
    private static final Set<String> LIVE_SCHEMES = Set.of("rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp",
            "srt", "v4l2");
    private static final long FIRST_BACKOFF_MILLIS = 200;
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    static {
        av_log_set_level(AV_LOG_ERROR);
    }

    private final SourceSettings settings;
    private final boolean live;
    private final OpenCVFrameConverter.ToMat converter = new OpenCVFrameConverter.ToMat();
    private FFmpegFrameGrabber grabber;
    private long grabbed;
    private long reconnects;
    private long downtimeNanos;
    private long declaredFrames = -1;
    private long declaredMicros = -1;
    private long lastTimestamp = -1;
    private double frameRate;

    private FfmpegFrameSource(SourceSettings settings) {
        this.settings = settings;
        this.live = LIVE_SCHEMES.contains(Uris.scheme(settings.uri()));
    }

    /** Opens the source; a live source keeps trying for the timeout before giving up. */
    public static FfmpegFrameSource open(SourceSettings settings) throws IngestException {
        FfmpegFrameSource source = new FfmpegFrameSource(settings);
        if (!source.live) {
            Path file = Path.of(source.target());
            if (!Files.isRegularFile(file)) {
                throw new IngestException("video file " + file + " does not exist or is not a regular file");
            }
            source.start();
        } else {
            source.startWithin(settings.timeout().toMillis());
        }
        return source;
    }

    @Override
    public SourceFrame grab() throws IngestException {
        while (true) {
            Frame frame;
            try {
                frame = grabber.grabImage();
            } catch (FrameGrabber.Exception | RuntimeException e) {
                if (!live) {
                    throw new IngestException(uri() + " is damaged: decoding failed after " + grabbed + " frames: "
                            + withoutJavaCvHints(e.getMessage()), e);
                }
                LOG.warn("{}: stream failed after {} frames ({}); reconnecting", uri(), grabbed, e.getMessage());
                reconnect();
                continue;
            }
            if (frame == null || frame.image == null) {
                if (!live) {
                    requireComplete();
                    return null;
                }
                LOG.warn("{}: stream ended after {} frames; reconnecting", uri(), grabbed);
                reconnect();
                continue;
            }
            grabbed++;
            lastTimestamp = Math.max(0, grabber.getTimestamp());
            Mat bgr = converter.convert(frame);
            return new SourceFrame(bgr, lastTimestamp, null);
        }
    }

    /**
     * A file must deliver what its container declares: its frame count where it has one (mp4, avi), otherwise its
     * duration (mkv), to within two frame periods.
     */
    private void requireComplete() throws IngestException {
        if (declaredFrames > 0 && grabbed < declaredFrames) {
            throw new IngestException(uri() + " ended after " + grabbed + " of the " + declaredFrames
                    + " frames its container declares: the file is truncated or damaged");
        }
        if (declaredFrames <= 0 && declaredMicros > 0 && frameRate > 0) {
            long slack = Math.round(2e6 / frameRate);
            if (lastTimestamp + slack < declaredMicros) {
                throw new IngestException(String.format(java.util.Locale.ROOT, "%s ended at %.2f s of the %.2f s its"
                        + " container declares, after %d frames: the file is truncated or damaged", uri(),
                        lastTimestamp / 1e6, declaredMicros / 1e6, grabbed));
            }
        }
    }

    private void reconnect() throws IngestException {
        long started = System.nanoTime();
        long deadline = started + settings.reconnectFor().toNanos();
        long backoff = FIRST_BACKOFF_MILLIS;
        stopQuietly();
        while (true) {
            reconnects++;
            try {
                start();
                downtimeNanos += System.nanoTime() - started;
                LOG.info("{}: reconnected after {} ms (reconnect {})", uri(), (System.nanoTime() - started) / 1_000_000,
                        reconnects);
                return;
            } catch (IngestException e) {
                if (System.nanoTime() + backoff * 1_000_000 > deadline) {
                    throw new IngestException(uri() + " could not be reconnected within " + settings.reconnectFor()
                            .toSeconds() + " s: " + e.getMessage(), e);
                }
                sleep(backoff);
                backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
            }
        }
    }

    private void startWithin(long millis) throws IngestException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        long backoff = FIRST_BACKOFF_MILLIS;
        while (true) {
            try {
                start();
                return;
            } catch (IngestException e) {
                if (System.nanoTime() + backoff * 1_000_000 > deadline) {
                    throw new IngestException("cannot open " + uri() + " within " + millis + " ms: " + e.getMessage(), e);
                }
                sleep(backoff);
                backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
            }
        }
    }

    private void start() throws IngestException {
        FFmpegFrameGrabber g = new FFmpegFrameGrabber(target());
        String scheme = Uris.scheme(settings.uri());
        if (scheme.equals("v4l2")) {
            g.setFormat("video4linux2");
        }
        if (live && !scheme.equals("v4l2")) {
            String micros = Long.toString(settings.timeout().toMillis() * 1000);
            g.setOption("rw_timeout", micros);
            if (scheme.startsWith("rtsp")) {
                g.setOption("rtsp_transport", "tcp");
                g.setOption("timeout", micros);
            }
        }
        if (!live) {
            g.setVideoOption("err_detect", "explode");
        }
        g.setPixelFormat(AV_PIX_FMT_BGR24);
        g.setImageScalingFlags(SWS_AREA);
        try {
            g.start();
        } catch (FrameGrabber.Exception | RuntimeException e) {
            releaseQuietly(g);
            throw new IngestException("cannot open " + uri() + ": " + withoutJavaCvHints(e.getMessage()), e);
        }
        if (!g.hasVideo()) {
            releaseQuietly(g);
            throw new IngestException(uri() + " has no video stream");
        }
        scaleToMaxSide(g);
        frameRate = g.getFrameRate();
        declaredFrames = live ? -1 : videoFramesDeclared(g);
        declaredMicros = live ? -1 : g.getLengthInTime();
        grabber = g;
    }

    private void scaleToMaxSide(FFmpegFrameGrabber g) {
        int width = g.getImageWidth();
        int height = g.getImageHeight();
        int maxSide = settings.maxSide();
        if (maxSide > 0 && Math.max(width, height) > maxSide) {
            double scale = (double) maxSide / Math.max(width, height);
            g.setImageWidth(Math.max(1, (int) Math.round(width * scale)));
            g.setImageHeight(Math.max(1, (int) Math.round(height * scale)));
        }
    }

    /** JavaCV appends hints about its own API to FFmpeg's errors; users of this class cannot act on them. */
    private static String withoutJavaCvHints(String message) {
        if (message == null) {
            return "unknown FFmpeg error";
        }
        return message.replace(" (Has setFormat() been called?)", "")
                .replace(" (For more details, make sure FFmpegLogCallback.set() has been called.)", "");
    }

    private static long videoFramesDeclared(FFmpegFrameGrabber g) {
        AVFormatContext context = g.getFormatContext();
        for (int i = 0; i < context.nb_streams(); i++) {
            if (context.streams(i).codecpar().codec_type() == AVMEDIA_TYPE_VIDEO) {
                long frames = context.streams(i).nb_frames();
                return frames > 0 ? frames : -1;
            }
        }
        return -1;
    }

    private String target() {
        String uri = settings.uri();
        if (uri.startsWith("v4l2:")) {
            return uri.substring("v4l2:".length());
        }
        return Uris.localPath(uri).map(Path::toString).orElse(uri);
    }

    @Override
    public boolean isLive() {
        return live;
    }

    @Override
    public String uri() {
        return Uris.redact(settings.uri());
    }

    @Override
    public long declaredFrames() {
        return declaredFrames;
    }

    @Override
    public double frameRate() {
        return frameRate;
    }

    @Override
    public long reconnects() {
        return reconnects;
    }

    @Override
    public double downtimeSeconds() {
        return downtimeNanos / 1e9;
    }

    private static void sleep(long millis) throws IngestException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IngestException("interrupted while waiting to reconnect", e);
        }
    }

    private void stopQuietly() {
        if (grabber != null) {
            releaseQuietly(grabber);
            grabber = null;
        }
    }

    private static void releaseQuietly(FFmpegFrameGrabber g) {
        try {
            g.release();
        } catch (FrameGrabber.Exception | RuntimeException e) {
            LOG.debug("releasing the grabber failed", e);
        }
    }

    @Override
    public void close() {
        stopQuietly();
        converter.close();
    }

    /** Registers FFmpeg for video files, network streams and V4L2 devices. */
    public static final class Provider implements FrameSourceProvider {
        @Override
        public String name() {
            return "ffmpeg";
        }

        @Override
        public boolean supports(String uri) {
            return LIVE_SCHEMES.contains(Uris.scheme(uri))
                    || Uris.localPath(uri).map(path -> !Files.isDirectory(path)).orElse(false);
        }

        @Override
        public FrameSource open(SourceSettings settings) throws IngestException {
            return FfmpegFrameSource.open(settings);
        }
    }
}
