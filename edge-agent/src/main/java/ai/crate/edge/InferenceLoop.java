package ai.crate.edge;

import ai.crate.edge.spool.Spool;
import ai.crate.ingest.codes.SparseCodeEncoder;
import ai.crate.ingest.proto.TokenSelection;
import ai.crate.ingest.predictions.Prediction;
import ai.crate.ingest.predictions.TopK;
import ai.crate.patchify.DecodedImage;
import ai.crate.patchify.FastPreprocessor;
import ai.crate.patchify.ImageBatch;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The agent's inference thread: takes frames from the cameras' queue, micro-batches them ({@code max_batch} frames
 * or {@code max_wait_ms} after the first), runs CRATE, and appends one prediction per frame to the spool, in the
 * {@code predictions} schema the Flink job writes, keyed by camera (and, with {@code codes}, its sparse code in the
 * {@code sparse-codes} schema). Nothing is published before it is in the spool.
 * A new model is {@link #swap swapped} in between two batches, so every frame is classified by exactly one version;
 * the last frames are kept for the canary of the next update.
 */
final class InferenceLoop implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceLoop.class);
    private static final int CANARY_SIDE = 512;

    private final AgentConfig config;
    private final BlockingQueue<CameraFrame> queue;
    private final Spool spool;
    private final AgentMetrics metrics;
    private final FrameUploader uploader;
    private final SparseCodeEncoder codes;
    private final CodesObserver codesObserver;
    private final int recentCapacity;
    private final Deque<DecodedImage> recent = new ArrayDeque<>();
    private final Object lock = new Object();
    private Serving serving;
    private ImageBatch batch;
    private FastPreprocessor preprocessor;
    private volatile boolean running = true;

    /** @param uploader sends chosen frames to {@code frames}, or null for none */
    InferenceLoop(AgentConfig config, Serving serving, BlockingQueue<CameraFrame> queue, Spool spool,
                  AgentMetrics metrics, FrameUploader uploader) {
        this.config = config;
        this.uploader = uploader;
        this.codes = config.codes() == null ? null : new SparseCodeEncoder(config.codes());
        this.codesObserver = codes == null ? null : new CodesObserver(config.maxBatch(),
                config.codes().tokens() == TokenSelection.CLS);
        this.queue = queue;
        this.spool = spool;
        this.metrics = metrics;
        this.recentCapacity = config.updates() == null ? 0 : config.updates().canaryFrames();
        use(serving);
    }

    private void use(Serving next) {
        serving = next;
        PreprocessSpec spec = new PreprocessSpec(next.model().preprocessing(), ResizeMode.SHORTER_SIDE);
        batch = new ImageBatch(config.maxBatch(), spec);
        preprocessor = new FastPreprocessor(spec);
    }

    @Override
    public void run() {
        List<CameraFrame> frames = new ArrayList<>(config.maxBatch());
        try {
            while (running || !queue.isEmpty()) {
                CameraFrame first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                frames.add(first);
                long deadline = System.nanoTime() + config.maxWaitMillis() * 1_000_000;
                while (frames.size() < config.maxBatch()) {
                    CameraFrame next = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    frames.add(next);
                }
                synchronized (lock) {
                    classify(frames);
                }
                frames.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.error("inference stopped: the spool failed ({}); frames are no longer classified", e.getMessage());
        }
    }

    private void classify(List<CameraFrame> frames) throws IOException {
        long started = System.nanoTime();
        batch.clear();
        for (CameraFrame frame : frames) {
            batch.add(frame.image(), preprocessor);
            if (recentCapacity > 0) {
                if (recent.size() == recentCapacity) {
                    recent.removeFirst();
                }
                recent.addLast(shrunk(frame.image()));
            }
        }
        double patchifyMillis = (System.nanoTime() - started) / 1e6 / frames.size();
        int n = frames.size();
        float[] input = n == batch.capacity() ? batch.array()
                : Arrays.copyOf(batch.array(), n * (batch.array().length / batch.capacity()));
        long inferStart = System.nanoTime();
        int depth = serving.model().config().depth();
        int codesLayer = codes == null ? -1
                : config.codes().layer() < 0 || config.codes().layer() >= depth ? depth - 1 : config.codes().layer();
        float[] logits;
        if (codes != null) {
            codesObserver.layer(codesLayer);
            logits = serving.engine().forward(input, n, codesObserver);
        } else {
            logits = serving.engine().forward(input, n);
        }
        double inferenceMillis = (System.nanoTime() - inferStart) / 1e6;
        int classes = serving.model().config().numClasses();
        long now = System.currentTimeMillis();
        for (int i = 0; i < n; i++) {
            CameraFrame frame = frames.get(i);
            double latency = now - frame.captureMicros() / 1000.0;
            List<TopK.Entry> top = TopK.of(logits, i * classes, classes, config.topK());
            Prediction prediction = new Prediction(frame.cameraId(), frame.seq(), frame.captureMicros(), now,
                    serving.model().name(), serving.version(), top,
                    serving.model().labels(), null, Math.max(0, latency - inferenceMillis - patchifyMillis),
                    patchifyMillis, inferenceMillis, n, serving.engine().name(), config.deviceId());
            spool.append(config.predictionsTopic(), frame.cameraId().getBytes(StandardCharsets.UTF_8),
                    prediction.toJson().getBytes(StandardCharsets.UTF_8));
            metrics.predicted(latency, inferenceMillis);
            if (codes != null) {
                byte[] message = codes.encode(codesObserver.output(i), codesObserver.tokens(), codesObserver.dim(),
                        codesLayer).setCameraId(frame.cameraId()).setSeq(frame.seq())
                        .setCaptureTimeUs(frame.captureMicros()).setModelName(serving.model().name())
                        .setModelVersion(serving.version()).build().toByteArray();
                spool.append(config.codes().topic(), frame.cameraId().getBytes(StandardCharsets.UTF_8), message);
            }
            if (uploader != null) {
                uploader.consider(frame, top.get(0).probability());
            }
        }
    }

    /**
     * The frame, subsampled to at most {@value #CANARY_SIDE} pixels on its longer side, so a canary's frames stay a
     * few megabytes even from 4K cameras (both models see the same pixels, so the comparison is fair).
     */
    private static DecodedImage shrunk(DecodedImage image) {
        int step = (Math.max(image.width(), image.height()) + CANARY_SIDE - 1) / CANARY_SIDE;
        if (step <= 1) {
            return image;
        }
        int width = image.width() / step;
        int height = image.height() / step;
        byte[] out = new byte[width * height * 3];
        byte[] in = image.pixels();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                System.arraycopy(in, ((y * step) * image.width() + x * step) * 3, out, (y * width + x) * 3, 3);
            }
        }
        return new DecodedImage(width, height, image.order(), out);
    }

    /** The model serving now. */
    Serving serving() {
        synchronized (lock) {
            return serving;
        }
    }

    /** Makes {@code next} the serving model between two batches; returns the one it replaced (still open). */
    Serving swap(Serving next) {
        synchronized (lock) {
            Serving replaced = serving;
            use(next);
            return replaced;
        }
    }

    /** The last frames classified (up to {@code updates.canary_frames}), oldest first. */
    List<DecodedImage> recentFrames() {
        synchronized (lock) {
            return List.copyOf(recent);
        }
    }

    /** Finishes the frames already queued, then stops. */
    void stop() {
        running = false;
    }
}
