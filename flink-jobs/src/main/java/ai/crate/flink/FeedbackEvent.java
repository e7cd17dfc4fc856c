package ai.crate.flink;

import ai.crate.ingest.IngestException;
import ai.crate.ingest.feedback.Feedback;

/**
 * A {@code feedback} record as the jobs carry it (a Flink POJO): the label for frame {@code seq} of a camera, or,
 * for a record that could not be read, the reason in {@link #error}. Never throws when built from bytes.
 */
public class FeedbackEvent {
    public String cameraId;
    public long seq;
    public String label;
    public String source;
    public long timeMillis;
    public String error;

    public FeedbackEvent() {
    }

    /** Reads a record's value; a malformed one comes back with {@link #error} set. */
    public static FeedbackEvent of(byte[] value) {
        FeedbackEvent event = new FeedbackEvent();
        try {
            Feedback f = Feedback.parse(value);
            event.cameraId = f.cameraId();
            event.seq = f.seq();
            event.label = f.label();
            event.source = f.source();
            event.timeMillis = f.timeMillis();
        } catch (IngestException e) {
            event.error = e.getMessage();
        }
        return event;
    }

    /** The join key: {@code camera/seq}. */
    public String frameKey() {
        return cameraId + "/" + seq;
    }

    public boolean isBad() {
        return error != null;
    }
}
