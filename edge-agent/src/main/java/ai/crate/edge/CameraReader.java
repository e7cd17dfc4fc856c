package ai.crate.edge;

import ai.crate.ingest.IngestException;
import ai.crate.ingest.SequenceStore;
import ai.crate.ingest.source.FrameSource;
import ai.crate.ingest.source.FrameSources;
import ai.crate.ingest.source.SourceFrame;
import ai.crate.ingest.source.SourceSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads one camera on its own thread into the inference queue, numbering its frames with a {@link SequenceStore}
 * (so numbers survive restarts). A live source never waits for inference: when the queue is full its oldest frame is
 * dropped and counted. A finite source (a file) waits, so every frame is classified; it ends at the end of the file.
 */
final class CameraReader implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(CameraReader.class);

    private final AgentConfig.Camera camera;
    private final Path stateDirectory;
    private final BlockingQueue<CameraFrame> queue;
    private final AgentMetrics metrics;
    private volatile boolean running = true;
    private volatile boolean finished;
    private volatile String failure;

    CameraReader(AgentConfig.Camera camera, Path stateDirectory, BlockingQueue<CameraFrame> queue,
                 AgentMetrics metrics) {
        this.camera = camera;
        this.stateDirectory = stateDirectory;
        this.queue = queue;
        this.metrics = metrics;
    }

    @Override
    public void run() {
        try (SequenceStore sequences = SequenceStore.open(stateDirectory, camera.id());
             FrameSource source = FrameSources.open(SourceSettings.of(camera.source()))) {
            LOG.info("camera {}: reading {} ({})", camera.id(), source.uri(), source.isLive() ? "live" : "finite");
            long interval = camera.fps() > 0 ? (long) (1e9 / camera.fps()) : 0;
            long next = System.nanoTime();
            while (running) {
                SourceFrame frame = source.grab();
                if (frame == null) {
                    break;
                }
                if (interval > 0) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    next = Math.max(next + interval, System.nanoTime() - interval);
                }
                CameraFrame read = new CameraFrame(camera.id(), sequences.next(), System.currentTimeMillis() * 1000,
                        frame.copyPixels());
                metrics.frameRead(camera.id());
                if (source.isLive()) {
                    while (!queue.offer(read)) {
                        if (queue.poll() != null) {
                            metrics.frameDropped(camera.id());
                        }
                    }
                } else {
                    queue.put(read);
                }
            }
            LOG.info("camera {}: {} ended", camera.id(), source.uri());
        } catch (IngestException e) {
            failure = e.getMessage();
            LOG.error("camera {}: {}", camera.id(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            finished = true;
        }
    }

    String cameraId() {
        return camera.id();
    }

    boolean finished() {
        return finished;
    }

    /** Why the camera stopped, or null. */
    String failure() {
        return failure;
    }

    void stop() {
        running = false;
    }
}
