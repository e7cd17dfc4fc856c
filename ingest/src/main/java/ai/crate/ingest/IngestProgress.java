package ai.crate.ingest;

/** Receives the running counts of an ingest run about twice a second, from the publishing thread. */
@FunctionalInterface
public interface IngestProgress {
    IngestProgress NONE = (summary, declaredFrames) -> { };

    /**
     * @param soFar          counts so far ({@code sent} lags {@code read} by the frames in flight)
     * @param declaredFrames the source's declared frame count, -1 when unknown
     */
    void update(IngestSummary soFar, long declaredFrames);
}
