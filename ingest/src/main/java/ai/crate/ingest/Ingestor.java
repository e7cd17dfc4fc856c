package ai.crate.ingest;

import ai.crate.ingest.kafka.FramePublisher;
import ai.crate.ingest.proto.Frame;
import ai.crate.ingest.source.FrameSource;
import ai.crate.ingest.source.SourceFrame;
import ai.crate.patchify.EncodedFrame;
import com.google.protobuf.UnsafeByteOperations;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One ingest run: a grabbing thread reads, paces, encodes and numbers frames; the calling thread publishes them. File
 * sources hand over losslessly; live sources through a small queue that drops its oldest frame when publishing falls
 * behind (when {@value #LIVE_MAX_IN_FLIGHT} frames await Kafka's acknowledgement, say while the broker is away).
 * {@link #run} returns when the source ends (or {@link #stop} is called) and every frame has been acknowledged or
 * dropped; a damaged source or a failed publish ends it with an {@link IngestFailedException} that
 * still carries the counts.
 */
public final class Ingestor {
    private static final long PROGRESS_NANOS = 500_000_000L;
    /** Live sources: frames sent but not yet acknowledged before new frames wait in the (evicting) queue. */
    static final int LIVE_MAX_IN_FLIGHT = 32;
    private final IngestSettings settings;
    private final FrameEncoder encoder;
    private final FramePublisher publisher;
    private final SequenceStore sequences;
    private final IngestProgress progress;
    private final AtomicLong read = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong encodeNanos = new AtomicLong();
    private volatile boolean stopping;
    private long startNanos;

    public Ingestor(IngestSettings settings, FrameEncoder encoder, FramePublisher publisher, SequenceStore sequences,
                    IngestProgress progress) {
        this.settings = settings;
        this.encoder = encoder;
        this.publisher = publisher;
        this.sequences = sequences;
        this.progress = progress;
    }

    /** Asks a running {@link #run} to stop reading; frames already read are still published. */
    public void stop() {
        stopping = true;
    }

    /**
     * Reads {@code source} to its end (or the frame limit) and publishes every frame read.
     *
     * @throws IngestFailedException if the source is damaged or publishing fails; frames before were published
     */
    public IngestSummary run(FrameSource source) throws IngestException {
        startNanos = System.nanoTime();
        FrameQueue<Pending> queue = new FrameQueue<>(source.isLive() ? settings.liveQueueFrames() : 16,
                source.isLive());
        Thread grabber = new Thread(() -> grabLoop(source, queue), "ingest-grab-" + settings.cameraId());
        grabber.setDaemon(true);
        grabber.start();
        IngestException failure = null;
        try {
            publishLoop(source, queue);
            publisher.flush();
        } catch (IngestException e) {
            failure = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = new IngestException("interrupted while publishing", e);
        } finally {
            stopping = true;
            queue.abandon();
            joinQuietly(grabber);
        }
        if (failure == null) {
            failure = queue.failure();
        }
        IngestSummary summary = summary(queue, source);
        if (failure != null) {
            throw new IngestFailedException(failure.getMessage(), failure, summary);
        }
        return summary;
    }

    private void publishLoop(FrameSource source, FrameQueue<Pending> queue) throws IngestException,
            InterruptedException {
        long lastProgress = System.nanoTime();
        while (true) {
            if (source.isLive() && publisher.metrics().inFlight() >= LIVE_MAX_IN_FLIGHT) {
                Thread.sleep(5);
                continue;
            }
            Pending next = queue.poll(200);
            if (next != null) {
                publisher.publish(toRecord(next, source.uri()));
            }
            if (System.nanoTime() - lastProgress > PROGRESS_NANOS) {
                progress.update(summary(queue, source), source.declaredFrames());
                lastProgress = System.nanoTime();
            }
            if (next == null && queue.isDrained()) {
                return;
            }
        }
    }

    private void grabLoop(FrameSource source, FrameQueue<Pending> queue) {
        IngestException error = null;
        try {
            CaptureClock clock = new CaptureClock(source.isLive());
            long period = settings.fps() > 0 ? Math.round(1e6 / settings.fps()) : 0;
            long nextAccepted = Long.MIN_VALUE;
            long firstStream = Long.MIN_VALUE;
            long firstWall = 0;
            long grabbed = 0;
            while (!stopping && (settings.maxFrames() == 0 || read.get() < settings.maxFrames())) {
                SourceFrame frame = source.grab();
                if (frame == null) {
                    break;
                }
                long sourceIndex = grabbed++;
                long stream = frame.streamTimeMicros();
                if (period > 0) {
                    if (nextAccepted != Long.MIN_VALUE && stream < nextAccepted) {
                        skipped.incrementAndGet();
                        continue;
                    }
                    nextAccepted = nextAccepted == Long.MIN_VALUE || nextAccepted + period <= stream
                            ? stream + period : nextAccepted + period;
                }
                if (settings.realtime() && !source.isLive()) {
                    if (firstStream == Long.MIN_VALUE) {
                        firstStream = stream;
                        firstWall = System.nanoTime();
                    }
                    long due = firstWall + (stream - firstStream) * 1_000;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
                long encodeStart = System.nanoTime();
                EncodedFrame encoded = encoder.encode(frame);
                encodeNanos.addAndGet(System.nanoTime() - encodeStart);
                Pending pending = new Pending(sequences.next(), clock.captureMicros(stream), stream, encoded,
                        settings.labels().of(sourceIndex));
                read.incrementAndGet();
                queue.put(pending);
            }
        } catch (IngestException e) {
            error = e;
        } catch (InterruptedException e) {
            error = new IngestException("interrupted while reading " + source.uri(), e);
        } catch (RuntimeException e) {
            error = new IngestException("reading " + source.uri() + " failed: " + e, e);
        } finally {
            queue.finish(error);
        }
    }

    private Frame toRecord(Pending pending, String uri) {
        EncodedFrame image = pending.frame();
        Frame.Builder record = Frame.newBuilder()
                .setSchemaVersion(FrameRecords.SCHEMA_VERSION)
                .setCameraId(settings.cameraId())
                .setSeq(pending.seq())
                .setCaptureTimeUs(pending.captureMicros())
                .setStreamTimeUs(pending.streamMicros())
                .setWidth(image.width())
                .setHeight(image.height())
                .setEncoding(FrameRecords.encodingOf(image.format()))
                .setData(UnsafeByteOperations.unsafeWrap(image.data()))
                .setSourceUri(uri);
        if (pending.label() != null) {
            record.setLabel(pending.label());
        }
        return record.build();
    }

    private IngestSummary summary(FrameQueue<Pending> queue, FrameSource source) {
        long frames = read.get();
        double encodeMillis = frames == 0 ? 0 : encodeNanos.get() / 1e6 / frames;
        return new IngestSummary(frames, publisher.metrics().acknowledged(),
                queue.evicted() + publisher.metrics().failed(), skipped.get(), source.reconnects(),
                source.downtimeSeconds(), encodeMillis,
                publisher.metrics().meanLatencyMillis(), publisher.metrics().maxLatencyMillis(),
                (System.nanoTime() - startNanos) / 1e9);
    }

    private static void joinQuietly(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record Pending(long seq, long captureMicros, long streamMicros, EncodedFrame frame, String label) {
    }
}
