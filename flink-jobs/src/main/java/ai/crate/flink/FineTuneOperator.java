package ai.crate.flink;

import ai.crate.runtime.CrateException;
import ai.crate.runtime.bundle.Sha256;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.registry.ModelRegistry;
import ai.crate.runtime.registry.VersionRecord;
import ai.crate.runtime.train.TrainingSet;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The heart of {@link FineTuneJob} (parallelism 1): labelled frames (input 1) go into a class-balanced
 * {@link ReplayBuffer} kept in operator state; a fine-tune ({@link FineTuneCycle}) starts on a background thread every
 * {@code --every-labels} new labels, every {@code --every-minutes} once {@code --min-labels} new labels came, or as
 * soon as {@code --min-labels} new labels came after a {@code drift-started} event for the production model (input 2,
 * the {@code drift} topic). An accepted candidate becomes production and is announced on the main output (for
 * {@code model-updates}); every step and refusal is an event on {@link #EVENTS} (for the {@code training} topic).
 * A restart resumes on the registry's production version, re-announces it if its announcement may have been lost,
 * and reruns a fine-tune the failure interrupted.
 */
public final class FineTuneOperator extends AbstractStreamOperator<KeyedRecord>
        implements TwoInputStreamOperator<LabelledFrame, String, KeyedRecord> {
    /** Fine-tune events for the {@code training} topic. */
    public static final OutputTag<KeyedRecord> EVENTS = new OutputTag<>("training") { };
    private static final long serialVersionUID = 1L;
    private static final long TICK_MILLIS = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FineTuneOptions options;
    private transient ListState<LabelledFrame> bufferState;
    private transient ListState<String> progressState;
    private transient ReplayBuffer buffer;
    private transient long labelsSince;
    private transient long lastStartMillis;
    private transient String driftCamera;
    private transient boolean resume;
    private transient String announced;
    private transient FineTuneCycle.Production production;
    private transient TrainingSet regression;
    private transient ExecutorService trainer;
    private transient Future<FineTuneCycle.Outcome> running;
    private transient boolean announceOnTick;
    private transient Counter fineTunes;
    private transient Counter accepted;
    private transient Counter refused;
    private transient Counter unknownLabels;

    public FineTuneOperator(FineTuneOptions options) {
        this.options = options;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        bufferState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("replay-buffer",
                LabelledFrame.class));
        progressState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("fine-tune-progress",
                String.class));
        buffer = ReplayBuffer.restore(options.perClass(), bufferState.get());
        for (String json : progressState.get()) {
            JsonNode progress = JSON.readTree(json);
            labelsSince = progress.path("labels_since").asLong();
            lastStartMillis = progress.path("last_start_ms").asLong();
            driftCamera = progress.hasNonNull("drift_camera") ? progress.get("drift_camera").asText() : null;
            resume = progress.path("running").asBoolean();
            announced = progress.hasNonNull("announced") ? progress.get("announced").asText() : null;
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        fineTunes = getMetricGroup().counter("fineTunes");
        accepted = getMetricGroup().counter("candidatesAccepted");
        refused = getMetricGroup().counter("candidatesRefused");
        unknownLabels = getMetricGroup().counter("feedbackUnknownLabels");
        getMetricGroup().gauge("replayBufferFrames", () -> buffer.size());
        getMetricGroup().gauge("labelsSinceFineTune", () -> labelsSince);
        production = currentProduction();
        regression = RegressionSet.open(options.regression(), production.model());
        announceOnTick = !production.bundle().equals(Path.of(options.modelUri()))
                && !production.version().equals(announced);
        if (lastStartMillis == 0) {
            lastStartMillis = getProcessingTimeService().getCurrentProcessingTime();
        }
        trainer = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "crate-fine-tune");
            thread.setDaemon(true);
            return thread;
        });
        LOG.info("fine-tune job on {} version {} from {}, replay buffer of {} frames", production.model().name(),
                production.version(), production.bundle(), buffer.size());
        scheduleTick();
    }

    /** The registry's production version of the model at {@code --model-uri}, or that model when it has none. */
    private FineTuneCycle.Production currentProduction() throws IOException, CrateException {
        Path initial = Path.of(options.modelUri());
        LoadedModel model = ModelLoader.load(initial, Optional.empty());
        ModelRegistry registry = ModelRegistry.open(Path.of(options.registry()));
        Optional<VersionRecord> current = registry.production(model.name());
        if (current.isEmpty() || current.get().version().equals(model.version())) {
            return new FineTuneCycle.Production(initial, model);
        }
        Path bundle = options.bundles().resolve(model.name() + "-" + current.get().version());
        if (!Files.isDirectory(bundle)) {
            Files.createDirectories(options.bundles());
            registry.fetch(model.name(), current.get().version(), bundle);
        }
        return new FineTuneCycle.Production(bundle, ModelLoader.load(bundle, Optional.empty()));
    }

    @Override
    public void processElement1(StreamRecord<LabelledFrame> record) {
        LabelledFrame frame = record.getValue();
        if (!production.model().labels().contains(frame.label)) {
            unknownLabels.inc();
            ObjectNode event = event("feedback-unknown-label");
            event.put("camera_id", frame.cameraId);
            event.put("seq", frame.seq);
            event.put("label", frame.label);
            event.put("reason", "'" + frame.label + "' is not one of " + production.model().name() + "'s labels "
                    + production.model().labels());
            emit(event);
            return;
        }
        buffer.add(frame);
        labelsSince++;
        maybeStart();
    }

    @Override
    public void processElement2(StreamRecord<String> record) {
        JsonNode drift;
        try {
            drift = JSON.readTree(record.getValue());
        } catch (IOException e) {
            LOG.warn("ignoring a drift record that is not JSON: {}", e.getMessage());
            return;
        }
        if (options.driftTrigger() && drift != null && "drift-started".equals(drift.path("event").asText())
                && production.model().name().equals(drift.path("model").path("name").asText())
                && production.version().equals(drift.path("model").path("version").asText())) {
            driftCamera = drift.path("camera_id").asText("?");
            LOG.info("drift on camera {}: fine-tuning once {} new labels are in ({} now)", driftCamera,
                    options.minLabels(), labelsSince);
            maybeStart();
        }
    }

    private void scheduleTick() {
        long now = getProcessingTimeService().getCurrentProcessingTime();
        getProcessingTimeService().registerTimer(now + TICK_MILLIS, time -> {
            if (announceOnTick) {
                announceOnTick = false;
                announce("re-announced after a restart");
            }
            if (running != null && running.isDone()) {
                finished(outcome());
            }
            maybeStart();
            scheduleTick();
        });
    }

    /** Starts a fine-tune if none runs and a trigger holds. */
    private void maybeStart() {
        if (running != null) {
            return;
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        if (resume && buffer.size() > 0) {
            start("rerun of the fine-tune a restart interrupted", now);
        } else if (driftCamera != null && labelsSince >= options.minLabels()) {
            start("drift on camera " + driftCamera + ", then " + labelsSince + " new labels", now);
        } else if (labelsSince >= options.everyLabels()) {
            start(labelsSince + " new labels", now);
        } else if (options.everyMinutes() > 0 && labelsSince >= options.minLabels()
                && now - lastStartMillis >= options.everyMinutes() * 60_000) {
            start(options.everyMinutes() + " minutes, " + labelsSince + " new labels", now);
        }
    }

    private void start(String trigger, long now) {
        List<LabelledFrame> frames = buffer.contents();
        String version;
        try {
            version = nextVersion();
        } catch (IOException | CrateException e) {
            LOG.error("cannot read the registry to number the next version; not fine-tuning now", e);
            ObjectNode event = event("fine-tune-failed");
            event.put("reason", "cannot read the registry: " + e.getMessage());
            emit(event);
            lastStartMillis = now;
            labelsSince = 0;
            return;
        }
        labelsSince = 0;
        lastStartMillis = now;
        driftCamera = null;
        resume = false;
        fineTunes.inc();
        ObjectNode event = event("fine-tune-started");
        event.put("version", version);
        event.put("parent_version", production.version());
        event.put("trigger", trigger);
        event.put("frames", frames.size());
        ObjectNode counts = event.putObject("frames_per_label");
        buffer.counts().forEach(counts::put);
        emit(event);
        FineTuneCycle.Production from = production;
        TrainingSet fixed = regression;
        running = trainer.submit(() -> FineTuneCycle.run(from, frames, fixed, version, trigger, options));
    }

    /** One more than the largest whole-number version in the registry or in production; else production + "-ftN". */
    private String nextVersion() throws IOException, CrateException {
        String name = production.model().name();
        List<VersionRecord> versions = ModelRegistry.open(Path.of(options.registry())).versions(name);
        List<String> all = new ArrayList<>();
        versions.forEach(v -> all.add(v.version()));
        all.add(production.version());
        long max = -1;
        for (String v : all) {
            if (v.matches("\\d{1,18}")) {
                max = Math.max(max, Long.parseLong(v));
            }
        }
        return max >= 0 ? Long.toString(max + 1) : production.version() + "-ft" + (versions.size() + 1);
    }

    private FineTuneCycle.Outcome outcome() {
        try {
            return running.get();
        } catch (ExecutionException e) {
            return new FineTuneCycle.Outcome("?", false, true, "fine-tune failed: " + e.getCause(), null, null,
                    Map.of());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new FineTuneCycle.Outcome("?", false, true, "interrupted", null, null, Map.of());
        } finally {
            running = null;
        }
    }

    private void finished(FineTuneCycle.Outcome outcome) {
        String type = outcome.accepted() ? "candidate-accepted" : outcome.failed() ? "fine-tune-failed"
                : outcome.summary().isEmpty() ? "fine-tune-skipped" : "candidate-refused";
        ObjectNode event = event(type);
        event.put("version", outcome.version());
        event.put("parent_version", production.version());
        event.put("reason", outcome.reason());
        if (!outcome.summary().isEmpty()) {
            event.set("training", JSON.valueToTree(outcome.summary()));
        }
        if (outcome.accepted()) {
            accepted.inc();
            production = outcome.next();
            event.put("bundle_uri", production.bundle().toUri().toString());
            event.put("sha256", outcome.sha256());
            emit(event);
            announce("promoted");
        } else {
            if (type.equals("candidate-refused")) {
                refused.inc();
            }
            event.put("production_version", production.version());
            emit(event);
        }
    }

    /** Announces the production version on {@code model-updates}. */
    private void announce(String why) {
        String sha256;
        try {
            sha256 = Sha256.of(production.bundle().resolve("manifest.json"));
        } catch (IOException e) {
            LOG.error("cannot announce {} version {}: {}", production.model().name(), production.version(),
                    e.getMessage());
            return;
        }
        ModelAnnouncement announcement = new ModelAnnouncement(production.model().name(), production.version(),
                production.bundle().toUri().toString(), sha256);
        output.collect(new StreamRecord<>(KeyedRecord.json(announcement.name, announcement.toJson())));
        announced = production.version();
        LOG.info("announced {} ({})", announcement, why);
    }

    private ObjectNode event(String type) {
        ObjectNode root = JSON.createObjectNode();
        root.put("event", type);
        root.put("model", production.model().name());
        root.put("time_ms", System.currentTimeMillis());
        return root;
    }

    private void emit(ObjectNode event) {
        output.collect(EVENTS, new StreamRecord<>(KeyedRecord.json(production.model().name(), event.toString())));
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        bufferState.update(buffer.contents());
        ObjectNode progress = JSON.createObjectNode();
        progress.put("labels_since", labelsSince);
        progress.put("last_start_ms", lastStartMillis);
        progress.put("drift_camera", driftCamera);
        progress.put("running", running != null || resume);
        progress.put("announced", announced);
        progressState.update(List.of(progress.toString()));
    }

    @Override
    public void close() throws Exception {
        if (trainer != null) {
            trainer.shutdownNow();
        }
        super.close();
    }
}
