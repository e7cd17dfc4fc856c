package ai.crate.edge;

import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.video.VideoWriter;
import ai.crate.patchify.shapes.ShapesClip;
import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.model.RandomWeights;
import ai.crate.runtime.registry.ModelRegistry;
import ai.crate.runtime.registry.RegistryServer;
import ai.crate.runtime.signing.SigningKeys;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Model updates on a running agent (embedded broker, a served registry, one camera file at 20 frames/s): a version
 * whose predictions disagree with production fails the canary, a version signed by an untrusted key is refused, a
 * good signed version is downloaded (over a damaged copy already on disk), canaried and swapped in between two
 * batches, and a rollback returns to the version before; every frame is predicted exactly once across the switches,
 * each by one version.
 */
class AgentUpdateITCase {

    @Test
    void aBadCanaryAndAnUntrustedKeyAreRefusedAGoodVersionSwapsInAndARollbackReturns(@TempDir Path temp)
            throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null);
        broker.createTopics(List.of(new NewTopic("predictions", 2, (short) 1),
                new NewTopic("fleet-status", 1, (short) 1), new NewTopic("model-updates", 1, (short) 1)));
        Path key = SigningKeys.generate(temp.resolve("keys"), "release").resolveSibling("release.key");
        Path stranger = SigningKeys.generate(temp.resolve("other"), "stranger").resolveSibling("stranger.key");
        ModelRegistry registry = ModelRegistry.open(temp.resolve("registry"));
        String good = EdgeTestKit.signAndPublish(registry, EdgeTestKit.copyDemoAsVersion(temp.resolve("v2"), "2"), key);
        LoadedModel demo = ModelLoader.load(EdgeTestKit.DEMO_MODEL, Optional.empty());
        Path random = temp.resolve("v3");
        ModelBundle.write(random, "crate-shapes", "3", "1", RandomWeights.of(demo.config(), 42), demo.labels(),
                demo.preprocessing());
        String bad = EdgeTestKit.signAndPublish(registry, random, key);
        String untrusted = EdgeTestKit.signAndPublish(registry,
                EdgeTestKit.copyDemoAsVersion(temp.resolve("v4"), "4"), stranger);
        Path damaged = temp.resolve("models/crate-shapes-2");
        Files.createDirectories(damaged);
        try (var files = Files.list(temp.resolve("v2"))) {
            for (Path file : files.toList()) {
                Files.copy(file, damaged.resolve(file.getFileName()));
            }
        }
        byte[] weights = Files.readAllBytes(damaged.resolve("weights.safetensors"));
        weights[weights.length - 1] ^= 0x5A;
        Files.write(damaged.resolve("weights.safetensors"), weights);
        ShapesClip clip = new ShapesClip(7, 128, 3);
        try (VideoWriter writer = new VideoWriter(temp.resolve("cam.mp4"), 128, 128, 25)) {
            for (int i = 0; i < 300; i++) {
                writer.write(clip.frame(i));
            }
        }
        Path config = temp.resolve("agent.yaml");
        try (RegistryServer server = RegistryServer.start(registry, "127.0.0.1", 0)) {
            Files.writeString(config, """
                    device_id: edge-7
                    group: north
                    kafka:
                      bootstrap: %s
                    model: %s
                    engine: fast
                    engine_threads: 1
                    cameras:
                      - id: cam-1
                        source: %s
                        fps: 20
                    health_port: 0
                    heartbeat_seconds: 60
                    updates:
                      registry: http://127.0.0.1:%d
                      trusted_keys: keys/release.pub
                      canary_frames: 8
                    """.formatted(broker.bootstrap(), EdgeTestKit.DEMO_MODEL.toAbsolutePath(),
                    temp.resolve("cam.mp4"), server.port()));
            try (Agent agent = Agent.start(AgentConfig.load(config))) {
                awaitPredictions(agent, 20);
                announce(broker, "{\"name\":\"crate-shapes\",\"version\":\"3\",\"sha256\":\"" + bad + "\"}");
                announce(broker, "{\"name\":\"crate-shapes\",\"version\":\"4\",\"sha256\":\"" + untrusted + "\"}");
                announce(broker, "{\"name\":\"crate-shapes\",\"version\":\"2\",\"sha256\":\"" + good
                        + "\",\"group\":\"north\"}");
                awaitFleet(broker, 3);
                assertThat(agent.servingVersion()).isEqualTo("2");
                awaitPredictions(agent, agent.predictions() + 20);
                announce(broker, "{\"name\":\"crate-shapes\",\"version\":\"2\",\"action\":\"rollback\"}");
                awaitFleet(broker, 4);
                assertThat(agent.servingVersion()).isEqualTo("1");
                assertThat(agent.awaitCamerasFinished(Duration.ofSeconds(60))).isTrue();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while ((agent.predictions() < 300 || agent.spoolStats().pending() > 0)
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
            }
            List<JsonNode> all = EdgeTestKit.jsonRecords(broker.bootstrap(), "fleet-status");
            assertThat(all).extracting(e -> e.get("event").asText() + " " + e.path("announced").path("version")
                    .asText()).as("the steps of each update").containsSubsequence("update-received 3",
                    "update-verified 3", "update-received 4", "update-received 2", "update-verified 2")
                    .doesNotContain("update-verified 4");
            List<JsonNode> events = all.stream().filter(e -> List.of("model-refused", "model-activated",
                    "rolled-back").contains(e.get("event").asText())).toList();
            assertThat(events).extracting(e -> e.get("event").asText())
                    .containsExactly("model-refused", "model-refused", "model-activated", "rolled-back");
            assertThat(events.get(0).get("reason").asText()).startsWith("canary failed: top-1 agreement");
            assertThat(events.get(1).get("reason").asText()).contains("which is not trusted here");
            assertThat(events.get(2).get("model").get("version").asText()).isEqualTo("2");
            assertThat(events.get(2).get("canary").get("agreement").asDouble()).isEqualTo(1.0);
            assertThat(events.get(3).get("model").get("version").asText()).isEqualTo("1");

            List<JsonNode> predictions = EdgeTestKit.jsonRecords(broker.bootstrap(), "predictions");
            assertThat(predictions).as("every frame once").hasSize(300);
            Set<Long> seqs = new HashSet<>();
            List<String> versions = new ArrayList<>();
            for (JsonNode p : predictions) {
                seqs.add(p.get("seq").asLong());
                versions.add(p.get("model").get("version").asText());
            }
            assertThat(seqs).hasSize(300);
            int firstTwo = versions.indexOf("2");
            int lastTwo = versions.lastIndexOf("2");
            assertThat(firstTwo).as("version 2 served some frames").isPositive();
            assertThat(versions.subList(0, firstTwo)).containsOnly("1");
            assertThat(versions.subList(firstTwo, lastTwo + 1)).as("one switch each way").containsOnly("2");
            assertThat(versions.subList(lastTwo + 1, versions.size())).isNotEmpty().containsOnly("1");
        } finally {
            broker.close();
        }
    }

    private static void announce(EmbeddedKafkaBroker broker, String json) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap()), new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>("model-updates", "crate-shapes", json)).get();
        }
    }

    private static void awaitPredictions(Agent agent, long count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (agent.predictions() < count && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    private static void awaitFleet(EmbeddedKafkaBroker broker, int events) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            long n = EdgeTestKit.jsonRecords(broker.bootstrap(), "fleet-status").stream()
                    .filter(e -> List.of("model-refused", "model-activated", "rolled-back")
                            .contains(e.get("event").asText())).count();
            if (n >= events) {
                return;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("fewer than " + events + " fleet events within 90 s: "
                + EdgeTestKit.jsonRecords(broker.bootstrap(), "fleet-status"));
    }

}
