package ai.crate.flink;

/**
 * One record of the {@code frames} topic inside the job: the frame's fields, or, when the record could not be
 * parsed, {@link #error} with the reason and {@link #origin} (topic/partition/offset). A Flink POJO: public fields and
 * a no-argument constructor, so Flink serialises it without Kryo.
 */
public class FrameEvent {
    public String cameraId;
    public long seq;
    public long captureMicros;
    public int width;
    public int height;
    public String encoding;
    public byte[] data;
    public String label;
    public String error;
    public String origin;
    /** When the job read the record, ms since the epoch (for the queue time). */
    public long receivedMillis;

    public FrameEvent() {
    }

    public boolean isBad() {
        return error != null;
    }
}
