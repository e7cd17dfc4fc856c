package ai.crate.flink;

import ai.crate.ingest.codes.SparseCodeEncoder;
import ai.crate.ingest.proto.TokenSelection;
import ai.crate.ingest.predictions.Prediction;
import ai.crate.ingest.predictions.TopK;
import ai.crate.patchify.BatchPatchifier;
import ai.crate.patchify.EncodedFrame;
import ai.crate.patchify.FrameFormat;
import ai.crate.patchify.ImageBatch;
import ai.crate.runtime.config.CrateConfig;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;

/**
 * Patchify, micro-batch and run CRATE in one operator, with models swapped while it runs.
 *
 * <p>Input 1 is the frames, keyed by camera. They are collected until there are {@code maxBatch} of them, the oldest
 * has waited {@code maxWait} ms since the job read it (time queued behind the previous batch counts), a checkpoint
 * barrier comes (so no frame is ever held in state) or the input ends; then they are decoded and prepared into the
 * current model's reused batch on as many threads as the engine has (those cores are idle between two passes) and the
 * batch goes through the engine. Frames that cannot be decoded or have the wrong size go to the dead-letter topic
 * with the reason.
 *
 * <p>Input 2 is the broadcast {@code model-updates} stream. Each announced version is verified, loaded and warmed
 * on a background thread ({@link ModelSwitcher}); the stream thread swaps it in between two batches, so each camera
 * changes version at one point and every prediction names the version that made it. A version that fails to load or
 * verify is reported on the fleet-status topic and the current one keeps serving. The active and pending versions are in
 * operator state: a restart resumes on them.
 *
 * <p>White-box telemetry: one frame in {@code --telemetry-every} per camera is measured; the figures feed per-camera
 * gauges and, when the model carries a white-box reference, a drift detector per camera whose start and end go to
 * the drift topic.
 *
 * <p>Every output (predictions, sparse codes, dead letters, fleet and drift events) is one stream of
 * {@link KeyedRecord}s that name their topic, for one sink: one transaction per checkpoint instead of one per topic.
 *
 * <p>Each subtask has its own model and engine: engines are not shared across slots, so a slot's batches never wait
 * for another's.
 */
public final class InferenceOperator extends AbstractStreamOperator<KeyedRecord>
        implements TwoInputStreamOperator<FrameEvent, ModelAnnouncement, KeyedRecord> {
    private static final long serialVersionUID = 1L;
    private static final long POLL_MILLIS = 50;
    private static final long GRACE_MILLIS = 5;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final MapStateDescriptor<String, String> MODEL_STATE =
            new MapStateDescriptor<>("model-versions", String.class, String.class);
    private static final ListStateDescriptor<String> DRIFT_STATE = new ListStateDescriptor<>("drifting-cameras",
            String.class);

    private final InferenceOptions options;
    private transient ServingModel serving;
    private transient ServingModel ready;
    private transient ModelSwitcher switcher;
    private transient BatchObserver observer;
    private transient SparseCodeEncoder codes;
    private transient int codesLayer;
    private transient WhiteBoxTelemetry telemetry;
    private transient CameraDrift drift;
    private transient List<Arrived> arrived;
    private transient List<EncodedFrame> arrivedImages;
    private transient List<Pending> pending;
    private transient ScheduledFuture<?> batchTimer;
    private transient ScheduledFuture<?> pollTimer;
    private transient float[] exact;
    private transient BroadcastState<String, String> modelState;
    /** The cameras drifting at each checkpoint, as every subtask's union, so that a rescaled job finds them too. */
    private transient ListState<String> driftState;
    private transient List<String> restoredDrift;
    private transient ModelAnnouncement restoredActive;
    /**
     * The checkpointed version that failed to load on restart, while no later version has taken over: it stays the
     * state's active version, so that the next restart tries it again instead of forgetting it.
     */
    private transient ModelAnnouncement unrestoredActive;
    private transient List<ModelAnnouncement> restoredPending;
    private transient List<String> startupEvents;
    private transient String source;
    private transient Counter predictions;
    private transient Counter deadLetters;
    private transient Counter swaps;
    private transient Counter refusals;
    private transient Histogram batchSizes;
    private transient Histogram inferenceMillis;
    private transient Histogram latencyMillis;
    private transient Set<String> versionGauges;

    private record Arrived(FrameEvent frame, long timestamp) {
    }

    private record Pending(FrameEvent frame, long timestamp, double patchifyMillis) {
    }

    public InferenceOperator(InferenceOptions options) {
        this.options = options;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        modelState = context.getOperatorStateStore().getBroadcastState(MODEL_STATE);
        driftState = context.getOperatorStateStore().getUnionListState(DRIFT_STATE);
        restoredDrift = new ArrayList<>();
        if (context.isRestored()) {
            Set<String> unique = new LinkedHashSet<>();
            driftState.get().forEach(unique::add);
            restoredDrift.addAll(unique);
        }
        restoredPending = new ArrayList<>();
        if (context.isRestored()) {
            String active = modelState.get("active");
            restoredActive = active == null ? null
                    : ModelAnnouncement.parse(active.getBytes(StandardCharsets.UTF_8));
            String queued = modelState.get("pending");
            if (queued != null) {
                for (String json : JSON.readValue(queued, new TypeReference<List<String>>() { })) {
                    restoredPending.add(ModelAnnouncement.parse(json.getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        source = "flink/" + getRuntimeContext().getJobInfo().getJobName() + "/"
                + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        startupEvents = new ArrayList<>();
        arrived = new ArrayList<>(options.maxBatch());
        arrivedImages = new ArrayList<>(options.maxBatch());
        pending = new ArrayList<>(options.maxBatch());
        registerMetrics();
        ServingModel first = null;
        String restoreFailure = null;
        if (restoredActive != null) {
            try {
                first = checkedLoad(restoredActive);
            } catch (ModelRefusedException e) {
                restoreFailure = "on restart: " + e.getMessage() + "; serving --model-uri instead";
            }
        }
        if (first == null) {
            first = ServingModel.initial(options);
        }
        if (restoreFailure != null) {
            startupEvents.add(FleetEvents.refused(source, restoredActive, restoreFailure, first,
                    System.currentTimeMillis()));
        }
        activate(first);
        switcher = new ModelSwitcher(this::checkedLoad, "crate-model-loader-" + source);
        if (restoreFailure != null) {
            unrestoredActive = restoredActive;
            switcher.request(restoredActive);
        }
        restoredPending.forEach(switcher::request);
        if (!startupEvents.isEmpty() || switcher.busy()) {
            schedulePoll();
        }
    }

    private void registerMetrics() {
        predictions = getMetricGroup().counter("predictions");
        deadLetters = getMetricGroup().counter("deadLetters");
        swaps = getMetricGroup().counter("modelSwaps");
        refusals = getMetricGroup().counter("modelRefusals");
        getMetricGroup().meter("predictionsPerSecond", new MeterView(predictions));
        getMetricGroup().meter("deadLettersPerSecond", new MeterView(deadLetters));
        batchSizes = getMetricGroup().histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
        inferenceMillis = getMetricGroup().histogram("inferenceMillis", new DescriptiveStatisticsHistogram(1000));
        latencyMillis = getMetricGroup().histogram("latencyMillis", new DescriptiveStatisticsHistogram(1000));
        telemetry = new WhiteBoxTelemetry(getMetricGroup(), options.telemetryEvery());
        drift = new CameraDrift(getMetricGroup(), options.driftWindow(), options.driftAlpha());
        drift.restore(restoredDrift);
        versionGauges = new HashSet<>();
    }

    /** Loads an announced version and checks that the job's options suit it. */
    private ServingModel checkedLoad(ModelAnnouncement announcement) throws ModelRefusedException {
        ServingModel model = ServingModel.announced(announcement, options);
        int depth = model.model().config().depth();
        if (options.codes().enabled() && options.codes().layer() >= depth) {
            model.close();
            throw new ModelRefusedException("--codes-layer " + options.codes().layer() + " but " + model.name()
                    + " version " + model.version() + " has " + depth + " layers");
        }
        return model;
    }

    /** Makes {@code model} the one serving; the batch must be empty. */
    private void activate(ServingModel model) {
        serving = model;
        if (model.announcement() != null) {
            unrestoredActive = null;
        }
        CrateConfig config = model.model().config();
        if (options.codes().enabled() && options.codes().layer() >= config.depth()) {
            throw new IllegalArgumentException("--codes-layer " + options.codes().layer() + " but the model has "
                    + config.depth() + " layers");
        }
        codesLayer = !options.codes().enabled() ? -1
                : options.codes().layer() < 0 ? config.depth() - 1 : options.codes().layer();
        codes = options.codes().enabled() ? new SparseCodeEncoder(options.codes()) : null;
        observer = new BatchObserver(options.maxBatch(), config.depth(), codesLayer,
                options.codes().tokens() == TokenSelection.CLS);
        drift.useModel(model);
        String name = model.name();
        String version = model.version();
        if (versionGauges.add(name + "\u0000" + version)) {
            getMetricGroup().addGroup("model", name).addGroup("version", version).gauge("active",
                    () -> serving != null && serving.name().equals(name) && serving.version().equals(version) ? 1 : 0);
        }
    }

    @Override
    public void processElement1(StreamRecord<FrameEvent> record) throws Exception {
        FrameEvent frame = record.getValue();
        if (frame.isBad()) {
            deadLetter(frame, frame.error, record.getTimestamp());
            return;
        }
        if (arrived.isEmpty()) {
            swapIfReady();
        }
        EncodedFrame image;
        try {
            image = new EncodedFrame(FrameFormat.valueOf(frame.encoding), frame.width, frame.height, frame.data);
        } catch (IllegalArgumentException e) {
            deadLetter(frame, refusal(frame, e), record.getTimestamp());
            return;
        }
        arrived.add(new Arrived(frame, record.getTimestamp()));
        arrivedImages.add(image);
        if (arrived.size() == options.maxBatch()) {
            flush();
        } else if (batchTimer == null) {
            long now = getProcessingTimeService().getCurrentProcessingTime();
            batchTimer = getProcessingTimeService().registerTimer(flushDeadline(frame.receivedMillis, now), time -> {
                batchTimer = null;
                flush();
            });
        }
    }

    /**
     * When a batch whose first frame the job read at {@code receivedMillis} must run: {@code maxWait} after that, so
     * the time a frame spent queued behind the previous batch counts, but no sooner than a short grace from {@code
     * now}, in which frames already queued behind it join the batch instead of each running alone. A receive time
     * ahead of this TaskManager's clock (the source ran on another one) counts as now.
     */
    private long flushDeadline(long receivedMillis, long now) {
        long arrived = receivedMillis > 0 && receivedMillis <= now ? receivedMillis : now;
        return Math.max(arrived + options.maxWaitMillis(), now + Math.min(options.maxWaitMillis(), GRACE_MILLIS));
    }

    @Override
    public void processElement2(StreamRecord<ModelAnnouncement> record) {
        ModelAnnouncement announcement = record.getValue();
        if (announcement.isBad()) {
            if (getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0) {
                refused(announcement, announcement.error);
            }
            return;
        }
        if (switcher.pending().isEmpty() && ready == null && announcement.name.equals(serving.name())
                && announcement.version.equals(serving.version())) {
            return;
        }
        switcher.request(announcement);
        schedulePoll();
    }

    private void schedulePoll() {
        if (pollTimer != null) {
            return;
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        pollTimer = getProcessingTimeService().registerTimer(now + POLL_MILLIS, time -> {
            pollTimer = null;
            collectLoads();
            if (arrived.isEmpty()) {
                swapIfReady();
            }
            if (switcher.busy() || ready != null) {
                schedulePoll();
            }
        });
    }

    /**
     * Reports the events of start-up first, then takes finished loads: refusals are reported, the newest accepted
     * version waits for the next batch boundary.
     */
    private void collectLoads() {
        startupEvents.forEach(this::fleetEvent);
        startupEvents.clear();
        for (var outcome = switcher.poll(); outcome.isPresent(); outcome = switcher.poll()) {
            if (outcome.get().accepted()) {
                if (ready != null) {
                    ready.close();
                }
                ready = outcome.get().model();
            } else {
                refused(outcome.get().announcement(), outcome.get().reason());
            }
        }
    }

    private void swapIfReady() {
        collectLoads();
        if (ready == null) {
            return;
        }
        ServingModel previous = serving;
        activate(ready);
        ready = null;
        swaps.inc();
        LOG.info("{}: now serving {} version {} (was version {})", source, serving.name(), serving.version(),
                previous.version());
        fleetEvent(FleetEvents.activated(source, serving, previous, System.currentTimeMillis()));
        previous.close();
    }

    private void refused(ModelAnnouncement announcement, String reason) {
        refusals.inc();
        LOG.warn("{}: refused {}: {}", source, announcement, reason);
        fleetEvent(FleetEvents.refused(source, announcement, reason, serving, System.currentTimeMillis()));
    }

    private void fleetEvent(String json) {
        output.collect(new StreamRecord<>(KeyedRecord.json(options.fleetTopic(), source, json)));
    }

    private void flush() {
        if (batchTimer != null) {
            batchTimer.cancel(false);
            batchTimer = null;
        }
        if (arrived.isEmpty()) {
            return;
        }
        ImageBatch batch = serving.batch();
        prepare(batch);
        int n = batch.size();
        if (n == 0) {
            swapIfReady();
            return;
        }
        CrateConfig config = serving.model().config();
        observer.reset();
        for (int i = 0; i < n; i++) {
            if (telemetry.sample(pending.get(i).frame().cameraId, config.depth())) {
                observer.measure(i);
            }
        }
        int floats = batch.array().length / batch.capacity();
        float[] images = n == batch.capacity() ? batch.array() : exactCopy(batch, n * floats);
        long start = System.nanoTime();
        float[] logits = observer.wanted() ? serving.engine().forward(images, n, observer)
                : serving.engine().forward(images, n);
        double inference = (System.nanoTime() - start) / 1e6;
        long now = System.currentTimeMillis();
        int classes = config.numClasses();
        for (int i = 0; i < n; i++) {
            Pending p = pending.get(i);
            String json = predictionJson(p, TopK.of(logits, i * classes, classes, options.topK()), inference, n, now);
            output.collect(new StreamRecord<>(KeyedRecord.json(options.predictionsTopic(), p.frame().cameraId, json),
                    p.timestamp()));
            if (codes != null) {
                emitCodes(p, observer.layerOutput(i), observer.layerTokens(i));
            }
            if (observer.measured(i)) {
                telemetry.record(p.frame().cameraId, observer.codingRates(i), observer.sparsities(i));
                drift.observe(p.frame().cameraId, observer.codingRates(i), observer.sparsities(i), now)
                        .ifPresent(event -> output.collect(new StreamRecord<>(
                                KeyedRecord.json(options.driftTopic(), p.frame().cameraId, event), p.timestamp())));
            }
            latencyMillis.update(Math.max(0, now - p.frame().receivedMillis));
        }
        predictions.inc(n);
        batchSizes.update(n);
        inferenceMillis.update(Math.round(inference));
        batch.clear();
        pending.clear();
        swapIfReady();
    }

    /** Prepares the arrived frames into {@code batch}; those refused go to the DLQ, the others to {@link #pending}. */
    private void prepare(ImageBatch batch) {
        List<BatchPatchifier.Outcome> outcomes = serving.patchifier().addAll(arrivedImages, batch);
        for (int i = 0; i < outcomes.size(); i++) {
            Arrived a = arrived.get(i);
            BatchPatchifier.Outcome outcome = outcomes.get(i);
            if (outcome.prepared()) {
                a.frame().data = null;
                pending.add(new Pending(a.frame(), a.timestamp(), outcome.millis()));
            } else {
                deadLetter(a.frame(), refusal(a.frame(), outcome.failure()), a.timestamp());
            }
        }
        arrived.clear();
        arrivedImages.clear();
    }

    private static String refusal(FrameEvent frame, Exception e) {
        return "frame " + frame.cameraId + "/" + frame.seq + ": " + e.getMessage();
    }

    private void emitCodes(Pending p, float[] zNext, int tokens) {
        FrameEvent f = p.frame();
        CrateConfig config = serving.model().config();
        byte[] message = codes.encode(zNext, tokens, config.dim(), codesLayer)
                .setCameraId(f.cameraId).setSeq(f.seq).setCaptureTimeUs(f.captureMicros).setModelName(serving.name())
                .setModelVersion(serving.version()).build().toByteArray();
        output.collect(new StreamRecord<>(new KeyedRecord(options.codes().topic(), f.cameraId, message),
                p.timestamp()));
    }

    private float[] exactCopy(ImageBatch batch, int length) {
        if (exact == null || exact.length != length) {
            exact = new float[length];
        }
        System.arraycopy(batch.array(), 0, exact, 0, length);
        return exact;
    }

    private String predictionJson(Pending p, List<TopK.Entry> top, double inferenceMillis, int batchSize, long now) {
        FrameEvent f = p.frame();
        return new Prediction(f.cameraId, f.seq, f.captureMicros, now, serving.name(), serving.version(), top,
                serving.model().labels(), f.label, Math.max(0, now - f.receivedMillis) - inferenceMillis,
                p.patchifyMillis(), inferenceMillis, batchSize, serving.engine().name(), null).toJson();
    }

    private void deadLetter(FrameEvent frame, String reason, long timestamp) {
        ObjectNode root = JSON.createObjectNode();
        root.put("camera_id", frame.cameraId);
        if (!frame.isBad()) {
            root.put("seq", frame.seq);
        }
        root.put("origin", frame.origin);
        root.put("reason", reason);
        output.collect(new StreamRecord<>(KeyedRecord.json(options.dlqTopic(), frame.cameraId, root.toString()),
                timestamp));
        deadLetters.inc();
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        modelState.clear();
        ModelAnnouncement active = unrestoredActive != null ? unrestoredActive : serving.announcement();
        if (active != null) {
            modelState.put("active", active.toJson());
        }
        List<String> queued = new ArrayList<>();
        if (ready != null) {
            queued.add(ready.announcement().toJson());
        }
        String activeJson = active != null ? active.toJson() : null;
        switcher.pending().stream().map(ModelAnnouncement::toJson).filter(json -> !json.equals(activeJson))
                .forEach(queued::add);
        if (!queued.isEmpty()) {
            modelState.put("pending", JSON.writeValueAsString(queued));
        }
        TaskInfo task = getRuntimeContext().getTaskInfo();
        driftState.update(drift.drifting(camera -> KeyGroupRangeAssignment.assignKeyToParallelOperator(camera,
                task.getMaxNumberOfParallelSubtasks(), task.getNumberOfParallelSubtasks())
                == task.getIndexOfThisSubtask()));
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        if (switcher != null) {
            switcher.close();
        }
        if (ready != null) {
            ready.close();
        }
        if (serving != null) {
            serving.close();
        }
        super.close();
    }
}
