package ai.crate.ingest;

import ai.crate.ingest.kafka.Delivery;
import ai.crate.ingest.kafka.FramePublisher;
import ai.crate.ingest.source.FrameSource;
import ai.crate.ingest.source.FrameSources;

/**
 * Runs an {@link IngestRequest} end to end: opens the source, the sequence store and the publisher (lossless for
 * finite sources, live for cameras and streams), runs the {@link Ingestor}, and closes everything in order. One
 * instance per run; {@link #stop()} (from a shutdown hook, say) ends reading and lets what was read be published.
 */
public final class Ingestion {
    private final IngestRequest request;
    private volatile Ingestor ingestor;
    private volatile boolean stopped;

    public Ingestion(IngestRequest request) {
        this.request = request;
    }

    public IngestSummary run(IngestProgress progress) throws IngestException {
        try (SequenceStore sequences = SequenceStore.open(request.stateDirectory(), request.settings().cameraId());
             FrameSource source = FrameSources.open(request.source());
             FrameEncoder encoder = new FrameEncoder(request.source().maxSide(), request.format(),
                     request.jpegQuality());
             FramePublisher publisher = new FramePublisher(request.bootstrap(), request.topic(),
                     source.isLive() ? Delivery.LIVE : Delivery.LOSSLESS, request.producerOverrides())) {
            Ingestor running = new Ingestor(request.settings(), encoder, publisher, sequences, progress);
            ingestor = running;
            if (stopped) {
                running.stop();
            }
            return running.run(source);
        }
    }

    /** Stops reading; frames already read are still published before {@link #run} returns. */
    public void stop() {
        stopped = true;
        Ingestor running = ingestor;
        if (running != null) {
            running.stop();
        }
    }
}
