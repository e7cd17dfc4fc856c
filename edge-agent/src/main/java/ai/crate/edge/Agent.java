package ai.crate.edge;

import ai.crate.edge.spool.Spool;
import ai.crate.edge.spool.SpoolPublisher;
import ai.crate.edge.spool.SpoolStats;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The edge agent: its cameras are read on their own threads, classified by CRATE on this device (TensorRT when it
 * can, the fast CPU engine otherwise), and every prediction and heartbeat is appended to the on-disk {@link Spool},
 * from which {@link SpoolPublisher} sends it to Kafka in order, through outages and restarts. Health and Prometheus
 * metrics are served over HTTP; with {@code updates} configured, new versions are taken as {@link ModelUpdater}
 * describes. Usage: {@code try (Agent agent = Agent.start(AgentConfig.load(file))) {
 * agent.awaitCamerasFinished(...); }}; close it to stop (queued frames are classified first).
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AgentConfig config;
    private final Spool spool;
    private final SpoolPublisher publisher;
    private final AgentMetrics metrics = new AgentMetrics();
    private final List<CameraReader> cameras = new ArrayList<>();
    private final List<Thread> cameraThreads = new ArrayList<>();
    private final InferenceLoop inference;
    private final Thread inferenceThread;
    private final FrameUploader uploader;
    private final ModelUpdater updater;
    private final Thread updaterThread;
    private final HealthServer health;
    private final ScheduledExecutorService heartbeats;
    private long lastPredictions;
    private long lastHeartbeatNanos = System.nanoTime();

    private Agent(AgentConfig config) throws Exception {
        this.config = config;
        this.spool = Spool.open(config.spoolDirectory(), config.spoolLimits(), config.fsync(), Clock.systemUTC());
        try {
            this.publisher = SpoolPublisher.start(spool, config.bootstrap(), "crate-agent-" + config.deviceId(),
                    Map.of());
        } catch (Exception e) {
            spool.close();
            throw e;
        }
        Serving first;
        try {
            first = Serving.open(ActiveModel.bundle(config), config);
        } catch (Exception e) {
            publisher.close();
            spool.close();
            throw e;
        }
        try {
            health = new HealthServer(config.healthPort(), this::notLive, this::notReady, this::prometheus);
        } catch (IOException e) {
            first.close();
            publisher.close();
            spool.close();
            throw new IOException("health port " + config.healthPort() + ": " + e.getMessage(), e);
        }
        BlockingQueue<CameraFrame> queue = new ArrayBlockingQueue<>(Math.max(8, 2 * config.maxBatch()));
        uploader = config.uploads() == null ? null
                : new FrameUploader(config.uploads(), config.deviceId(), spool, metrics);
        inference = new InferenceLoop(config, first, queue, spool, metrics, uploader);
        inferenceThread = new Thread(inference, "crate-agent-inference");
        inferenceThread.start();
        if (config.updates() != null) {
            updater = new ModelUpdater(config, inference, spool);
            updaterThread = new Thread(updater, "crate-agent-updates");
            updaterThread.setDaemon(true);
            updaterThread.start();
        } else {
            updater = null;
            updaterThread = null;
        }
        for (AgentConfig.Camera camera : config.cameras()) {
            CameraReader reader = new CameraReader(camera, config.stateDirectory(), queue, metrics);
            Thread thread = new Thread(reader, "crate-agent-camera-" + camera.id());
            cameras.add(reader);
            cameraThreads.add(thread);
            thread.start();
        }
        heartbeats = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "crate-agent-heartbeat");
            thread.setDaemon(true);
            return thread;
        });
        heartbeats.scheduleAtFixedRate(this::heartbeat, 0, config.heartbeatMillis(), TimeUnit.MILLISECONDS);
        LOG.info("agent {} (group {}): {} version {} on {}, {} cameras, health on port {}, model updates {}",
                config.deviceId(), config.group(), first.model().name(), first.version(), first.engine().name(),
                cameras.size(), health.port(),
                config.updates() == null ? "off" : "from " + config.updates().registry());
    }

    /** Starts the agent; throws with the reason when the spool, the model or the engine cannot be opened. */
    public static Agent start(AgentConfig config) throws Exception {
        return new Agent(config);
    }

    /** Waits until every camera's source ended (files) or failed; false on timeout. */
    public boolean awaitCamerasFinished(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread thread : cameraThreads) {
            thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        }
        return cameras.stream().allMatch(CameraReader::finished);
    }

    public int healthPort() {
        return health.port();
    }

    public SpoolStats spoolStats() {
        return spool.stats();
    }

    public long predictions() {
        return metrics.predictions();
    }

    /** The version serving now. */
    public String servingVersion() {
        return inference.serving().version();
    }

    private String notLive() {
        return inferenceThread == null || inferenceThread.isAlive() ? null : "the inference thread stopped";
    }

    private String notReady() {
        if (inferenceThread == null || cameraThreads.size() < config.cameras().size()) {
            return "not ready: starting";
        }
        if (!inferenceThread.isAlive()) {
            return "not ready: the inference thread stopped";
        }
        List<String> failed = new ArrayList<>();
        for (CameraReader camera : cameras) {
            if (camera.failure() != null) {
                failed.add(camera.cameraId() + ": " + camera.failure());
            }
        }
        return failed.size() == cameras.size() ? "not ready: every camera failed " + failed : null;
    }

    private void heartbeat() {
        try {
            long now = System.nanoTime();
            long predictions = metrics.predictions();
            double fps = (predictions - lastPredictions) / Math.max(1e-3, (now - lastHeartbeatNanos) / 1e9);
            lastPredictions = predictions;
            lastHeartbeatNanos = now;
            SpoolStats stats = spool.stats();
            Serving serving = inference.serving();
            ObjectNode root = JSON.createObjectNode();
            root.put("event", "heartbeat");
            root.put("source", "agent/" + config.deviceId());
            root.put("device_id", config.deviceId());
            root.put("group", config.group());
            root.put("time_ms", System.currentTimeMillis());
            ObjectNode m = root.putObject("model");
            m.put("name", serving.model().name());
            m.put("version", serving.version());
            root.put("state", notReady() == null ? "serving" : "degraded");
            root.put("engine", serving.engine().name());
            root.put("fps", Math.round(fps * 10) / 10.0);
            root.put("p50_ms", metrics.latencyQuantile(0.5));
            root.put("p99_ms", metrics.latencyQuantile(0.99));
            root.put("spool_pending", stats.pending());
            root.put("spool_bytes", stats.bytes());
            root.put("spool_dropped", stats.droppedForSpace() + stats.droppedForAge());
            root.put("heap_used_bytes", DeviceReadings.heapUsedBytes());
            root.put("heap_max_bytes", DeviceReadings.heapMaxBytes());
            long available = DeviceReadings.memoryAvailableBytes();
            if (available >= 0) {
                root.put("memory_available_bytes", available);
            }
            OptionalDouble temperature = DeviceReadings.maxTemperatureCelsius();
            if (temperature.isPresent()) {
                root.put("max_temperature_c", temperature.getAsDouble());
            }
            spool.append(config.fleetTopic(), ("agent/" + config.deviceId()).getBytes(StandardCharsets.UTF_8),
                    root.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            LOG.warn("heartbeat not recorded: {}", e.toString());
        }
    }

    /** The Prometheus text of {@code /metrics}. */
    private String prometheus() {
        if (inference == null) {
            return "# the agent is starting\n";
        }
        StringBuilder out = new StringBuilder();
        String device = "device=\"" + config.deviceId() + "\"";
        metric(out, "crate_agent_frames_read_total", "counter", "frames read per camera");
        metrics.framesRead().forEach((camera, n) -> out.append("crate_agent_frames_read_total{").append(device)
                .append(",camera=\"").append(camera).append("\"} ").append(n).append('\n'));
        metric(out, "crate_agent_frames_uploaded_total", "counter", "frames sent to the frames topic");
        metrics.framesUploaded().forEach((camera, n) -> out.append("crate_agent_frames_uploaded_total{")
                .append(device).append(",camera=\"").append(camera).append("\"} ").append(n).append('\n'));
        metric(out, "crate_agent_frames_dropped_total", "counter", "live frames dropped because inference was behind");
        metrics.framesDropped().forEach((camera, n) -> out.append("crate_agent_frames_dropped_total{").append(device)
                .append(",camera=\"").append(camera).append("\"} ").append(n).append('\n'));
        value(out, "crate_agent_predictions_total", "counter", "frames classified", device, metrics.predictions());
        metric(out, "crate_agent_latency_ms", "summary", "capture to prediction, recent frames");
        for (double q : new double[] {0.5, 0.99}) {
            out.append(String.format(Locale.ROOT, "crate_agent_latency_ms{%s,quantile=\"%s\"} %.3f%n", device, q,
                    metrics.latencyQuantile(q)));
        }
        metric(out, "crate_agent_inference_ms", "summary", "engine time per batch, recent batches");
        for (double q : new double[] {0.5, 0.99}) {
            out.append(String.format(Locale.ROOT, "crate_agent_inference_ms{%s,quantile=\"%s\"} %.3f%n", device, q,
                    metrics.inferenceQuantile(q)));
        }
        SpoolStats stats = spool.stats();
        value(out, "crate_agent_spool_pending", "gauge", "records not yet acknowledged by Kafka", device,
                stats.pending());
        value(out, "crate_agent_spool_bytes", "gauge", "bytes of the spool's segment files", device, stats.bytes());
        metric(out, "crate_agent_spool_dropped_total", "counter", "undelivered records dropped at a spool limit");
        out.append("crate_agent_spool_dropped_total{").append(device).append(",reason=\"space\"} ")
                .append(stats.droppedForSpace()).append('\n');
        out.append("crate_agent_spool_dropped_total{").append(device).append(",reason=\"age\"} ")
                .append(stats.droppedForAge()).append('\n');
        value(out, "crate_agent_spool_damaged_total", "counter", "damaged spool records skipped on start", device,
                stats.damaged());
        value(out, "crate_agent_undeliverable_total", "counter", "records Kafka refused for good", device,
                publisher.undeliverable());
        Serving serving = inference.serving();
        metric(out, "crate_agent_model_info", "gauge", "the model serving");
        out.append("crate_agent_model_info{").append(device).append(",model=\"").append(serving.model().name())
                .append("\",version=\"").append(serving.version()).append("\",engine=\"")
                .append(serving.engine().name()).append("\"} 1\n");
        value(out, "crate_agent_heap_used_bytes", "gauge", "JVM heap in use", device, DeviceReadings.heapUsedBytes());
        return out.toString();
    }

    private static void metric(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void value(StringBuilder out, String name, String type, String help, String labels, long v) {
        metric(out, name, type, help);
        out.append(name).append('{').append(labels).append("} ").append(v).append('\n');
    }

    /**
     * Stops the cameras, classifies the frames already read, records a last heartbeat, and gives the publisher up to
     * 10 s to deliver; what is left stays in the spool for the next start.
     */
    @Override
    public void close() throws Exception {
        cameras.forEach(CameraReader::stop);
        for (Thread thread : cameraThreads) {
            thread.join(10_000);
        }
        inference.stop();
        inferenceThread.join(30_000);
        boolean inferenceStopped = !inferenceThread.isAlive();
        if (uploader != null && inferenceStopped) {
            uploader.close();
        }
        boolean updaterStopped = true;
        if (updater != null) {
            updater.stop();
            updaterThread.join(10_000);
            updaterStopped = !updaterThread.isAlive();
            if (updaterStopped) {
                updater.closePrevious();
            }
        }
        heartbeats.shutdown();
        heartbeats.awaitTermination(10, TimeUnit.SECONDS);
        heartbeat();
        health.close();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (spool.stats().pending() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        publisher.close();
        if (inferenceStopped && updaterStopped) {
            inference.serving().close();
        } else {
            LOG.warn("agent {}: inference or the model updater did not stop within its wait; their models and"
                    + " encoders are left to the process's exit rather than freed while in use", config.deviceId());
        }
        spool.close();
        LOG.info("agent {} stopped; {} records left in the spool for the next start", config.deviceId(),
                spool.stats().pending());
    }
}
