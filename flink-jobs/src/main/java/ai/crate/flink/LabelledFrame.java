package ai.crate.flink;

/**
 * A frame joined with the label someone sent back for it ({@link FeedbackJoin}): what fine-tuning learns from. A
 * Flink POJO; {@code data} holds the frame's encoded bytes as they came on {@code frames}.
 */
public class LabelledFrame {
    public String cameraId;
    public long seq;
    public String label;
    public String source;
    public String encoding;
    public int width;
    public int height;
    public byte[] data;

    public LabelledFrame() {
    }

    static LabelledFrame of(FrameEvent frame, FeedbackEvent feedback) {
        LabelledFrame out = new LabelledFrame();
        out.cameraId = frame.cameraId;
        out.seq = frame.seq;
        out.label = feedback.label;
        out.source = feedback.source;
        out.encoding = frame.encoding;
        out.width = frame.width;
        out.height = frame.height;
        out.data = frame.data;
        return out;
    }
}
