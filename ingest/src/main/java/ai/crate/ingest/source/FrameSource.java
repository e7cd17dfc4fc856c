package ai.crate.ingest.source;

import ai.crate.ingest.IngestException;

/**
 * A stream of frames. {@link #grab()} blocks for the next frame; the frame's image is only valid until the next call.
 * Finite sources (files, directories) return {@code null} at their end; live sources (cameras, network streams)
 * reconnect by themselves and end only when closed or when reconnecting fails for too long. Close to free native
 * resources.
 */
public interface FrameSource extends AutoCloseable {

    /**
     * The next frame, or {@code null} at the end of a finite source.
     *
     * @throws IngestException if the source is damaged or unreachable; frames returned before stay valid
     */
    SourceFrame grab() throws IngestException;

    /** Live sources keep up with the camera and may drop frames; finite sources are read completely. */
    boolean isLive();

    /** The source's URI without credentials, for logs and the {@code source_uri} field. */
    String uri();

    /** The frame count the source declares (a container's frame count), or -1 when it declares none. */
    default long declaredFrames() {
        return -1;
    }

    /** The nominal frame rate, or 0 when unknown. */
    default double frameRate() {
        return 0;
    }

    /** Reconnection attempts made so far (live sources). */
    default long reconnects() {
        return 0;
    }

    /** Seconds spent without a connection between a stream failing and it being back (live sources). */
    default double downtimeSeconds() {
        return 0;
    }

    @Override
    void close();
}
