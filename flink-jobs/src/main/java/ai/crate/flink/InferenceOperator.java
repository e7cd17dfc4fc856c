package ai.crate.flink;

import ai.crate.patchify.EncodedFrame;
import ai.crate.patchify.FrameFormat;
import ai.crate.patchify.ImageBatch;
import ai.crate.patchify.Patchifier;
import ai.crate.patchify.PatchifyException;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;

/**
 * Patchify, micro-batch and run CRATE in one operator. Frames are prepared into a reused batch as they arrive; the
 * batch goes through the engine when it holds {@code maxBatch} frames, when the oldest has waited {@code maxWait}
 * ms, before every checkpoint barrier (so no frame is ever held in state) and at the end of input. Each subtask
 * loads its own bundle and engine in {@link #open()}: engines are not shared across slots, so a slot's batches never
 * wait for another's. Frames that cannot be decoded or have the wrong size go to {@link #DLQ} with the reason.
 */
public final class InferenceOperator extends AbstractStreamOperator<KeyedRecord>
        implements OneInputStreamOperator<FrameEvent, KeyedRecord> {
    /** Records for the dead-letter topic. */
    public static final OutputTag<KeyedRecord> DLQ = new OutputTag<>("frames-dlq") { };
    /** Sparse codes ({@code crate.codes.v1.SparseCodes}) for the {@code sparse-codes} topic. */
    public static final OutputTag<KeyedRecord> CODES = new OutputTag<>("sparse-codes") { };
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final InferenceOptions options;
    private transient LoadedModel model;
    private transient CrateEngine engine;
    private transient Patchifier patchifier;
    private transient ImageBatch batch;
    private transient List<Pending> pending;
    private transient ScheduledFuture<?> timer;
    private transient float[] exact;
    private transient Counter predictions;
    private transient Counter deadLetters;
    private transient Histogram batchSizes;
    private transient Histogram inferenceMillis;
    private transient SparseCodeEncoder codes;
    private transient int codesLayer;
    private transient float[][] layerOutputs;

    private record Pending(FrameEvent frame, long timestamp, double patchifyMillis) {
    }

    public InferenceOperator(InferenceOptions options) {
        this.options = options;
    }

    @Override
    public void open() throws Exception {
        super.open();
        model = ModelLoader.load(Path.of(options.modelUri()), Optional.empty());
        engine = Engines.create(Engines.AUTO, model.weights(), new EngineOptions(options.engineThreads()));
        PreprocessSpec spec = new PreprocessSpec(model.preprocessing(), ResizeMode.SHORTER_SIDE);
        patchifier = Patchifier.fast(spec);
        batch = new ImageBatch(options.maxBatch(), spec);
        pending = new ArrayList<>(options.maxBatch());
        predictions = getMetricGroup().counter("predictions");
        deadLetters = getMetricGroup().counter("deadLetters");
        batchSizes = getMetricGroup().histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
        inferenceMillis = getMetricGroup().histogram("inferenceMillis", new DescriptiveStatisticsHistogram(1000));
        getMetricGroup().gauge("modelVersion", () -> model.version());
        if (options.codes().enabled()) {
            int depth = model.config().depth();
            codesLayer = options.codes().layer() < 0 ? depth - 1 : options.codes().layer();
            if (codesLayer >= depth) {
                throw new IllegalArgumentException("--codes-layer " + codesLayer + " but the model has " + depth
                        + " layers");
            }
            codes = new SparseCodeEncoder(options.codes());
            layerOutputs = new float[options.maxBatch()][];
        }
    }

    @Override
    public void processElement(StreamRecord<FrameEvent> record) throws Exception {
        FrameEvent frame = record.getValue();
        if (frame.isBad()) {
            deadLetter(frame, frame.error, record.getTimestamp());
            return;
        }
        long start = System.nanoTime();
        try {
            EncodedFrame image = new EncodedFrame(FrameFormat.valueOf(frame.encoding), frame.width, frame.height,
                    frame.data);
            batch.add(image, patchifier);
        } catch (PatchifyException | IllegalArgumentException e) {
            deadLetter(frame, "frame " + frame.cameraId + "/" + frame.seq + ": " + e.getMessage(),
                    record.getTimestamp());
            return;
        }
        frame.data = null;
        pending.add(new Pending(frame, record.getTimestamp(), (System.nanoTime() - start) / 1e6));
        if (batch.isFull()) {
            flush();
        } else if (timer == null) {
            long now = getProcessingTimeService().getCurrentProcessingTime();
            timer = getProcessingTimeService().registerTimer(now + options.maxWaitMillis(), time -> {
                timer = null;
                flush();
            });
        }
    }

    private void flush() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        int n = batch.size();
        if (n == 0) {
            return;
        }
        int floats = batch.array().length / batch.capacity();
        float[] images = n == batch.capacity() ? batch.array() : exactCopy(n * floats);
        long start = System.nanoTime();
        float[] logits = codes == null ? engine.forward(images, n)
                : engine.forward(images, n, (image, layer, tensors) -> {
                    if (layer == codesLayer) {
                        layerOutputs[image] = tensors.zNext().clone();
                    }
                });
        double inference = (System.nanoTime() - start) / 1e6;
        long now = System.currentTimeMillis();
        int classes = model.config().numClasses();
        for (int i = 0; i < n; i++) {
            Pending p = pending.get(i);
            String json = predictionJson(p, TopK.of(logits, i * classes, classes, options.topK()), inference, n, now);
            output.collect(new StreamRecord<>(KeyedRecord.json(p.frame().cameraId, json), p.timestamp()));
            if (codes != null) {
                emitCodes(p, layerOutputs[i]);
            }
        }
        predictions.inc(n);
        batchSizes.update(n);
        inferenceMillis.update(Math.round(inference));
        batch.clear();
        pending.clear();
    }

    private void emitCodes(Pending p, float[] zNext) {
        FrameEvent f = p.frame();
        byte[] message = codes.encode(zNext, model.config().tokens(), model.config().dim(), codesLayer)
                .setCameraId(f.cameraId).setSeq(f.seq).setCaptureTimeUs(f.captureMicros).setModelName(model.name())
                .setModelVersion(model.version()).build().toByteArray();
        output.collect(CODES, new StreamRecord<>(new KeyedRecord(f.cameraId, message), p.timestamp()));
    }

    private float[] exactCopy(int length) {
        if (exact == null || exact.length != length) {
            exact = new float[length];
        }
        System.arraycopy(batch.array(), 0, exact, 0, length);
        return exact;
    }

    private String predictionJson(Pending p, List<TopK.Entry> top, double inferenceMillis, int batchSize, long now) {
        FrameEvent f = p.frame();
        ObjectNode root = JSON.createObjectNode();
        root.put("camera_id", f.cameraId);
        root.put("seq", f.seq);
        root.put("capture_time_us", f.captureMicros);
        ObjectNode m = root.putObject("model");
        m.put("name", model.name());
        m.put("version", model.version());
        ArrayNode labels = root.putArray("top_k");
        for (TopK.Entry entry : top) {
            ObjectNode e = labels.addObject();
            e.put("label", model.labels().get(entry.index()));
            e.put("index", entry.index());
            e.put("probability", entry.probability());
        }
        if (f.label != null) {
            root.put("ground_truth", f.label);
        }
        ObjectNode timings = root.putObject("timings_ms");
        timings.put("queue", Math.max(0, now - f.receivedMillis) - inferenceMillis);
        timings.put("patchify", p.patchifyMillis());
        timings.put("inference", inferenceMillis);
        root.put("batch_size", batchSize);
        root.put("engine", engine.name());
        return root.toString();
    }

    private void deadLetter(FrameEvent frame, String reason, long timestamp) {
        ObjectNode root = JSON.createObjectNode();
        root.put("camera_id", frame.cameraId);
        if (!frame.isBad()) {
            root.put("seq", frame.seq);
        }
        root.put("origin", frame.origin);
        root.put("reason", reason);
        output.collect(DLQ, new StreamRecord<>(KeyedRecord.json(frame.cameraId, root.toString()), timestamp));
        deadLetters.inc();
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        if (engine != null) {
            engine.close();
        }
        if (patchifier != null) {
            patchifier.close();
        }
        super.close();
    }
}
