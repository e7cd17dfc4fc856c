package ai.crate.ingest;

/**
 * Options of one ingest run: the camera id, an optional frame-rate cap ({@code fps}, 0 for none; frames above it are
 * skipped by stream time), an optional frame limit ({@code maxFrames}, 0 for none), whether files are paced at their
 * own rate ({@code realtime}), how many encoded frames a live source may have waiting before the oldest is dropped,
 * and the ground truth to put on frames of evaluation feeds ({@link FrameLabels#none()} for none).
 */
public record IngestSettings(String cameraId, double fps, long maxFrames, boolean realtime, int liveQueueFrames,
                             FrameLabels labels) {
    public IngestSettings {
        if (cameraId == null || cameraId.isBlank()) {
            throw new IllegalArgumentException("a camera id is required");
        }
        if (fps < 0 || Double.isNaN(fps)) {
            throw new IllegalArgumentException("fps must be positive, or 0 for no limit; got " + fps);
        }
        if (maxFrames < 0) {
            throw new IllegalArgumentException("max frames must be positive, or 0 for no limit; got " + maxFrames);
        }
        if (labels == null) {
            throw new IllegalArgumentException("labels are required; use FrameLabels.none()");
        }
        if (liveQueueFrames < 1) {
            throw new IllegalArgumentException("the live queue must hold at least one frame, got " + liveQueueFrames);
        }
    }

    public static IngestSettings of(String cameraId) {
        return new IngestSettings(cameraId, 0, 0, false, 8, FrameLabels.none());
    }
}
