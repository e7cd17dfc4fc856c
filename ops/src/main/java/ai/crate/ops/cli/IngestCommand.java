package ai.crate.ops.cli;

import ai.crate.ingest.FrameLabels;
import ai.crate.ingest.IngestException;
import ai.crate.ingest.IngestFailedException;
import ai.crate.ingest.IngestRequest;
import ai.crate.ingest.IngestSettings;
import ai.crate.ingest.IngestSummary;
import ai.crate.ingest.Ingestion;
import ai.crate.ingest.broker.PipelineTopics;
import ai.crate.ingest.source.SourceSettings;
import ai.crate.patchify.FrameFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code crate ingest}: one source into the {@code frames} topic, ending with
 * {@code frames_read=N frames_sent=M frames_dropped=K ...}. Ctrl-C stops reading and publishes what was read.
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = {"Reads a video file, an RTSP/HTTP stream, a V4L2 camera or an image directory and publishes "
                + "its frames to Kafka.",
                "Files lose nothing (they wait for Kafka); live sources drop their oldest frames under pressure."})
final class IngestCommand implements Callable<Integer> {

    @Option(names = "--source", required = true, paramLabel = "URI",
            description = "Video file, directory of images, rtsp://..., http(s)://..., or v4l2:/dev/videoN.")
    String source;

    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers.")
    String bootstrap;

    @Option(names = "--topic", defaultValue = PipelineTopics.FRAMES, description = "Topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--camera-id", required = true, paramLabel = "ID", description = "Camera id: the record key.")
    String cameraId;

    @Option(names = "--fps", defaultValue = "0",
            description = "Publish at most this many frames per second of stream time; 0 for all.")
    double fps;

    @Option(names = "--max-frames", defaultValue = "0", description = "Stop after this many frames; 0 for no limit.")
    long maxFrames;

    @Option(names = "--realtime",
            description = "Pace files at their own frame rate instead of as fast as Kafka takes them.")
    boolean realtime;

    @Option(names = "--loop", description = "Image directories: start again at the end.")
    boolean loop;

    @Option(names = "--max-side", defaultValue = "640",
            description = "Downscale so the larger side is at most this; 0 keeps the size (default: ${DEFAULT-VALUE}).")
    int maxSide;

    @Option(names = "--encoding", defaultValue = "jpeg",
            description = "jpeg or bgr24 (raw) (default: ${DEFAULT-VALUE}).")
    String encoding;

    @Option(names = "--jpeg-quality", defaultValue = "90",
            description = "JPEG quality 1-100 (default: ${DEFAULT-VALUE}).")
    int jpegQuality;

    @Option(names = "--timeout", defaultValue = "10", paramLabel = "SECONDS",
            description = "Network connect/read timeout (default: ${DEFAULT-VALUE}).")
    double timeoutSeconds;

    @Option(names = "--reconnect-for", defaultValue = "300", paramLabel = "SECONDS",
            description = "How long a live source keeps reconnecting before giving up (default: ${DEFAULT-VALUE}).")
    double reconnectSeconds;

    @Option(names = "--label",
            description = "Ground-truth label put on every frame, for evaluation feeds of one class.")
    String label;

    @Option(names = "--labels-file", paramLabel = "FILE",
            description = "Ground truth per frame: line i labels the source's frame i (as shapes-video writes it).")
    Path labelsFile;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Where per-camera sequence numbers are kept (default: ~/.crate/ingest).")
    Path stateDirectory;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        FrameFormat format = FrameFormat.parse(encoding);
        if (format != FrameFormat.JPEG && format != FrameFormat.BGR24) {
            throw new IllegalArgumentException("--encoding must be jpeg or bgr24, got " + encoding);
        }
        if (timeoutSeconds <= 0 || reconnectSeconds < 0) {
            throw new IllegalArgumentException("--timeout must be positive and --reconnect-for not negative");
        }
        Path state = stateDirectory != null ? stateDirectory
                : Path.of(System.getProperty("user.home"), ".crate", "ingest");
        IngestRequest request = new IngestRequest(
                new SourceSettings(source, maxSide, Duration.ofMillis((long) (timeoutSeconds * 1000)),
                        Duration.ofMillis((long) (reconnectSeconds * 1000)), loop),
                bootstrap, topic, new IngestSettings(cameraId, fps, maxFrames, realtime, 8, labels()), format, jpegQuality,
                state, Map.of());
        Ingestion ingestion = new Ingestion(request);
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            ingestion.stop();
            awaitQuietly(finished);
        }, "crate-ingest-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        ProgressBar progress = new ProgressBar(quiet);
        try {
            IngestSummary summary = ingestion.run(progress);
            progress.finish();
            System.out.println(summary.line());
            return 0;
        } catch (IngestFailedException e) {
            progress.finish();
            System.out.println(e.summary().line());
            throw e;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it waits for this method, which is done
            }
        }
    }

    private FrameLabels labels() throws IngestException {
        if (label != null && labelsFile != null) {
            throw new IllegalArgumentException("give --label or --labels-file, not both");
        }
        if (label != null) {
            return FrameLabels.constant(label);
        }
        return labelsFile != null ? FrameLabels.read(labelsFile) : FrameLabels.none();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
