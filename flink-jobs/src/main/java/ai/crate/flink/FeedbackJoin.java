package ai.crate.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Joins {@code frames} with {@code feedback} by {@code camera/seq} (both inputs keyed so): whichever arrives first
 * waits, in keyed state, up to the retention window for the other. A frame that gets no label in time is dropped
 * from the state (most frames never get one; counted as {@code framesUnlabelled}); a label whose frame never came,
 * or came after the window, is reported on {@link #UNMATCHED} with the reason and counted, never dropped silently.
 * Window in processing time, so a replayed backlog is not aged by its capture times.
 */
public final class FeedbackJoin extends KeyedCoProcessFunction<String, FrameEvent, FeedbackEvent, LabelledFrame> {
    /** Feedback that found no frame: JSON events with the reason. */
    public static final OutputTag<KeyedRecord> UNMATCHED = new OutputTag<>("feedback-unmatched") { };
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final long retentionMillis;
    private transient ValueState<FrameEvent> frame;
    private transient ValueState<FeedbackEvent> feedback;
    private transient ValueState<Long> expiry;
    private transient Counter joined;
    private transient Counter unmatched;
    private transient Counter unlabelled;

    /**
     * @param retentionMillis how long a frame waits for its label, and a label for its frame
     */
    public FeedbackJoin(long retentionMillis) {
        if (retentionMillis < 1) {
            throw new IllegalArgumentException("the feedback retention window must be positive, got "
                    + retentionMillis + " ms");
        }
        this.retentionMillis = retentionMillis;
    }

    @Override
    public void open(OpenContext context) {
        frame = getRuntimeContext().getState(new ValueStateDescriptor<>("frame", FrameEvent.class));
        feedback = getRuntimeContext().getState(new ValueStateDescriptor<>("feedback", FeedbackEvent.class));
        expiry = getRuntimeContext().getState(new ValueStateDescriptor<>("expiry", Long.class));
        joined = getRuntimeContext().getMetricGroup().counter("labelledFrames");
        unmatched = getRuntimeContext().getMetricGroup().counter("feedbackUnmatched");
        unlabelled = getRuntimeContext().getMetricGroup().counter("framesUnlabelled");
    }

    @Override
    public void processElement1(FrameEvent value, Context ctx, Collector<LabelledFrame> out) throws Exception {
        if (value.isBad()) {
            return;
        }
        FeedbackEvent waiting = feedback.value();
        if (waiting != null) {
            out.collect(LabelledFrame.of(value, waiting));
            joined.inc();
            clear(ctx);
        } else if (frame.value() == null) {
            frame.update(value);
            arm(ctx);
        }
    }

    @Override
    public void processElement2(FeedbackEvent value, Context ctx, Collector<LabelledFrame> out) throws Exception {
        if (value.isBad()) {
            report(ctx, value, "unreadable feedback: " + value.error);
            return;
        }
        FrameEvent waiting = frame.value();
        if (waiting != null) {
            out.collect(LabelledFrame.of(waiting, value));
            joined.inc();
            clear(ctx);
        } else {
            feedback.update(value);
            arm(ctx);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<LabelledFrame> out) throws Exception {
        Long due = expiry.value();
        if (due == null || due != timestamp) {
            return;
        }
        FeedbackEvent waiting = feedback.value();
        if (waiting != null) {
            report(ctx, waiting, "no frame " + waiting.frameKey() + " arrived within " + retentionMillis
                    + " ms of its feedback (unknown, or outside the retention window)");
        }
        if (frame.value() != null) {
            unlabelled.inc();
        }
        frame.clear();
        feedback.clear();
        expiry.clear();
    }

    private void arm(Context ctx) throws Exception {
        long due = ctx.timerService().currentProcessingTime() + retentionMillis;
        Long previous = expiry.value();
        if (previous != null) {
            ctx.timerService().deleteProcessingTimeTimer(previous);
        }
        expiry.update(due);
        ctx.timerService().registerProcessingTimeTimer(due);
    }

    private void clear(Context ctx) throws Exception {
        Long previous = expiry.value();
        if (previous != null) {
            ctx.timerService().deleteProcessingTimeTimer(previous);
        }
        frame.clear();
        feedback.clear();
        expiry.clear();
    }

    private void report(Context ctx, FeedbackEvent value, String reason) {
        ObjectNode root = JSON.createObjectNode();
        root.put("event", "feedback-unmatched");
        if (!value.isBad()) {
            root.put("camera_id", value.cameraId);
            root.put("seq", value.seq);
            root.put("label", value.label);
            root.put("source", value.source);
        }
        root.put("reason", reason);
        ctx.output(UNMATCHED, KeyedRecord.json(value.isBad() ? "" : value.cameraId, root.toString()));
        unmatched.inc();
    }
}
