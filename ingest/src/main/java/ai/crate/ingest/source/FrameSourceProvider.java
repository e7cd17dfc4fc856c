package ai.crate.ingest.source;

import ai.crate.ingest.IngestException;

/** Opens the sources of some URIs; registered in {@code META-INF/services}. */
public interface FrameSourceProvider {

    /** Short name for messages, e.g. {@code ffmpeg}. */
    String name();

    /** Whether this provider handles {@code uri}; the first provider that does opens it. */
    boolean supports(String uri);

    FrameSource open(SourceSettings settings) throws IngestException;
}
