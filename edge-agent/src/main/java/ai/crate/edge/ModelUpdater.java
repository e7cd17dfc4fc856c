package ai.crate.edge;

import ai.crate.edge.spool.Spool;
import ai.crate.edge.update.BundleDownload;
import ai.crate.edge.update.UpdateAnnouncement;
import ai.crate.edge.update.UpdateException;
import ai.crate.runtime.CrateException;
import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.bundle.Sha256;
import ai.crate.runtime.signing.BundleSignature;
import ai.crate.runtime.signing.SignatureException;
import ai.crate.runtime.signing.TrustedKeys;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Takes model updates on the agent, on its own thread: reads {@code model-updates} (every device its own consumer
 * group; on a first start from the oldest record the compacted topic kept, so a new device catches up with the
 * announced version), and for each announcement meant for this device downloads the
 * version from the registry (resumable, size-limited), checks the manifest's sha256 against the announcement and
 * the signature against the trusted keys, builds the engine, runs the {@link Canary} on recent frames beside the
 * serving model, and only then swaps it in between two batches. The version before stays loaded for an instant
 * {@code rollback}. Each step is an event on {@code fleet-status}, through the spool: {@code update-received},
 * {@code update-verified}, then {@code model-activated} or {@code model-refused}; {@code rolled-back}.
 */
final class ModelUpdater implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelUpdater.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AgentConfig config;
    private final AgentConfig.Updates updates;
    private final InferenceLoop inference;
    private final Spool spool;
    private final BundleDownload download;
    private volatile boolean running = true;
    private Serving previous;

    ModelUpdater(AgentConfig config, InferenceLoop inference, Spool spool) {
        this.config = config;
        this.updates = config.updates();
        this.inference = inference;
        this.spool = spool;
        this.download = new BundleDownload(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(),
                updates.maxDownloadBytes());
    }

    @Override
    public void run() {
        while (running && !Thread.currentThread().isInterrupted()) {
            try {
                follow();
            } catch (RuntimeException e) {
                LOG.error("model updates: {}; starting over in 5 s", e.toString());
                pauseBeforeRetry();
            }
        }
    }

    /**
     * Reads {@code model-updates} until stopped. A poll may wait for a whole download, TensorRT build and canary, so
     * the group allows 30 minutes between polls.
     */
    private void follow() {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "crate-agent-" + config.deviceId(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 30 * 60 * 1000),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(updates.topic()));
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    handle(record.value());
                }
                consumer.commitSync();
            }
        }
    }

    private void pauseBeforeRetry() {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (running && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Handles one {@code model-updates} record. */
    void handle(byte[] value) {
        UpdateAnnouncement announcement;
        try {
            announcement = UpdateAnnouncement.parse(value);
        } catch (UpdateException e) {
            refused(null, e.getMessage());
            return;
        }
        if (!announcement.targets(config.deviceId(), config.group())) {
            return;
        }
        if (announcement.rollback()) {
            rollback(announcement);
            return;
        }
        Serving current = inference.serving();
        if (current.model().name().equals(announcement.name())
                && current.version().equals(announcement.version())) {
            return;
        }
        ObjectNode received = event("update-received");
        announced(received, announcement);
        publish(received);
        try {
            Serving candidate = prepare(announcement);
            ObjectNode verified = event("update-verified");
            announced(verified, announcement);
            verified.put("bundle", candidate.bundle().toString());
            publish(verified);
            Canary.Result canary = Canary.run(current, candidate, inference.recentFrames(),
                    Math.min(updates.canaryFrames(), 4), updates.minAgreement(), updates.maxLatencyRatio());
            if (!canary.passed()) {
                candidate.close();
                refused(announcement, canary.reason());
                return;
            }
            Serving replaced = inference.swap(candidate);
            ActiveModel.record(config.stateDirectory(), candidate.bundle());
            if (previous != null) {
                previous.close();
            }
            previous = replaced;
            ObjectNode event = event("model-activated");
            model(event.putObject("model"), candidate);
            model(event.putObject("previous"), replaced);
            ObjectNode figures = event.putObject("canary");
            figures.put("agreement", canary.agreement());
            figures.put("latency_ratio", canary.latencyRatio());
            figures.put("frames", canary.frames());
            publish(event);
            LOG.info("now serving {} version {} ({})", candidate.model().name(), candidate.version(),
                    canary.reason());
        } catch (UpdateException e) {
            refused(announcement, e.getMessage());
        } catch (Exception e) {
            refused(announcement, "cannot load the new version: " + e);
        }
    }

    /**
     * Downloads (or finds) the announced version and verifies it; returns it loaded, engine built. A copy already on
     * disk that fails the checks (damaged by power loss, altered) is deleted and downloaded once more.
     */
    private Serving prepare(UpdateAnnouncement announcement) throws Exception {
        Path bundle = updates.modelsDirectory().resolve(announcement.name() + "-" + announcement.version());
        if (Files.isDirectory(bundle) && !intact(bundle, announcement)) {
            deleteRecursively(bundle);
        }
        if (!Files.isDirectory(bundle)) {
            Files.createDirectories(updates.modelsDirectory());
            download.fetch(updates.registry(), announcement.name(), announcement.version(), bundle);
        }
        return verifiedOpen(bundle, announcement);
    }

    /** Whether a copy on disk still holds the announced manifest and every file that manifest lists, unaltered. */
    private static boolean intact(Path bundle, UpdateAnnouncement announcement) {
        try {
            String sha = Sha256.of(bundle.resolve("manifest.json"));
            if (!sha.equals(announcement.sha256())) {
                LOG.warn("{}/manifest.json on disk has sha256 {}, the announcement says {}; downloading it again",
                        bundle, sha, announcement.sha256());
                return false;
            }
            ModelBundle.open(bundle, true);
            return true;
        } catch (IOException | CrateException e) {
            LOG.warn("{} on disk is damaged ({}); downloading it again", bundle, e.getMessage());
            return false;
        }
    }

    private static void deleteRecursively(Path directory) throws IOException {
        try (var paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** Checks {@code bundle} against the announcement and its signature, then loads it. */
    private Serving verifiedOpen(Path bundle, UpdateAnnouncement announcement) throws Exception {
        String sha = Sha256.of(bundle.resolve("manifest.json"));
        if (!sha.equals(announcement.sha256())) {
            throw new UpdateException(bundle + "/manifest.json has sha256 " + sha + ", the announcement says "
                    + announcement.sha256());
        }
        try {
            BundleSignature.verify(bundle, TrustedKeys.load(updates.trustedKeys()));
        } catch (SignatureException e) {
            throw new UpdateException(e.getMessage());
        }
        Serving candidate = Serving.open(bundle, config);
        if (!candidate.model().name().equals(announcement.name())
                || !candidate.version().equals(announcement.version())) {
            candidate.close();
            throw new UpdateException(bundle + " holds " + candidate.model().name() + " version "
                    + candidate.version() + ", the announcement says " + announcement.name() + " version "
                    + announcement.version());
        }
        return candidate;
    }

    private void rollback(UpdateAnnouncement announcement) {
        Serving current = inference.serving();
        if (previous == null) {
            refused(announcement, "rollback: no earlier version is loaded on this device (serving "
                    + current.version() + ")");
            return;
        }
        Serving restored = previous;
        previous = null;
        Serving replaced = inference.swap(restored);
        ActiveModel.record(config.stateDirectory(), restored.bundle());
        ObjectNode event = event("rolled-back");
        model(event.putObject("model"), restored);
        model(event.putObject("from"), replaced);
        publish(event);
        replaced.close();
        LOG.warn("rolled back from version {} to {}", replaced.version(), restored.version());
    }

    private void refused(UpdateAnnouncement announcement, String reason) {
        ObjectNode event = event("model-refused");
        if (announcement != null) {
            announced(event, announcement);
        }
        event.put("reason", reason);
        model(event.putObject("serving"), inference.serving());
        publish(event);
        LOG.warn("refused {}: {}", announcement == null ? "a model-updates record" : announcement.name()
                + " version " + announcement.version(), reason);
    }

    private static void announced(ObjectNode event, UpdateAnnouncement announcement) {
        ObjectNode announced = event.putObject("announced");
        announced.put("name", announcement.name());
        announced.put("version", announcement.version());
        announced.put("sha256", announcement.sha256());
    }

    private ObjectNode event(String type) {
        ObjectNode root = JSON.createObjectNode();
        root.put("event", type);
        root.put("source", "agent/" + config.deviceId());
        root.put("device_id", config.deviceId());
        root.put("group", config.group());
        root.put("time_ms", System.currentTimeMillis());
        return root;
    }

    private static void model(ObjectNode node, Serving serving) {
        node.put("name", serving.model().name());
        node.put("version", serving.version());
    }

    private void publish(ObjectNode event) {
        try {
            spool.append(config.fleetTopic(), ("agent/" + config.deviceId()).getBytes(StandardCharsets.UTF_8),
                    event.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.error("cannot record a fleet event: {}", e.getMessage());
        }
    }

    void stop() {
        running = false;
    }

    /** Frees the version kept for rollback. */
    void closePrevious() {
        if (previous != null) {
            previous.close();
            previous = null;
        }
    }
}
