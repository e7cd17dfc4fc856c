package ai.crate.edge.fleet;

import ai.crate.edge.Agent;
import ai.crate.edge.AgentConfig;
import ai.crate.edge.EdgeTestKit;
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
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Staged rollouts to five in-process agents (embedded broker, a served registry, each agent its own camera file at
 * 10 frames/s; five agents share two cores, so the canary's latency limit is 4x rather than the default 2x): a
 * version that fails the canary halts in its first wave (one device) and the fleet stays on version 1; a good version
 * that one device of the second wave refuses (it does not trust the signing key yet) halts there, and the devices
 * that had activated it roll back, so the fleet is on version 1 again; once that device trusts the key, the version
 * rolls out wave by wave to every device. Every frame of every camera is predicted exactly once throughout.
 */
class FleetRolloutITCase {
    private static final int AGENTS = 5;
    private static final int FRAMES = 450;

    @Test
    void aBadVersionHaltsInTheFirstWaveAndAGoodOneReachesTheWholeFleet(@TempDir Path temp) throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null);
        broker.createTopics(List.of(new NewTopic("predictions", 4, (short) 1),
                new NewTopic("fleet-status", 1, (short) 1), new NewTopic("model-updates", 1, (short) 1)));
        Path key = SigningKeys.generate(temp.resolve("keys"), "release").resolveSibling("release.key");
        ModelRegistry registry = ModelRegistry.open(temp.resolve("registry"));
        Path good = EdgeTestKit.copyDemoAsVersion(temp.resolve("v2"), "2");
        LoadedModel demo = ModelLoader.load(EdgeTestKit.DEMO_MODEL, Optional.empty());
        Path bad = temp.resolve("v3");
        ModelBundle.write(bad, "crate-shapes", "3", "1", RandomWeights.of(demo.config(), 9), demo.labels(),
                demo.preprocessing());
        String goodSha = EdgeTestKit.signAndPublish(registry, good, key);
        String badSha = EdgeTestKit.signAndPublish(registry, bad, key);
        List<Agent> agents = new ArrayList<>();
        try (RegistryServer server = RegistryServer.start(registry, "127.0.0.1", 0)) {
            for (int a = 1; a <= AGENTS; a++) {
                Path dir = temp.resolve("edge-" + a);
                Files.createDirectories(dir);
                ShapesClip clip = new ShapesClip(a, 128, 3);
                try (VideoWriter writer = new VideoWriter(dir.resolve("cam.mp4"), 128, 128, 25)) {
                    for (int i = 0; i < FRAMES; i++) {
                        writer.write(clip.frame(i));
                    }
                }
                Files.writeString(dir.resolve("agent.yaml"), """
                        device_id: edge-%d
                        group: north
                        kafka:
                          bootstrap: %s
                        model: %s
                        engine: fast
                        engine_threads: 1
                        cameras:
                          - id: cam-%d
                            source: %s
                            fps: 10
                        health_port: 0
                        heartbeat_seconds: 1
                        updates:
                          registry: http://127.0.0.1:%d
                          trusted_keys: %s
                          canary_frames: 8
                          max_latency_ratio: 4
                        """.formatted(a, broker.bootstrap(), EdgeTestKit.DEMO_MODEL.toAbsolutePath(), a,
                        dir.resolve("cam.mp4"), server.port(), trust(temp, a)));
                agents.add(Agent.start(AgentConfig.load(dir.resolve("agent.yaml"))));
            }
            Thread.sleep(4000);
            Rollout.Report halted = new Rollout(settings(broker, "3", badSha), System.out::println).run();
            assertThat(halted.completed()).isFalse();
            assertThat(halted.reason()).startsWith("halted in wave 1");
            assertThat(halted.failed()).hasSize(1);
            assertThat(halted.failed().get(0)).contains("canary failed");
            for (Agent agent : agents) {
                assertThat(agent.servingVersion()).as("the fleet stays on version 1").isEqualTo("1");
            }

            Rollout.Report partial = new Rollout(settings(broker, "2", goodSha), System.out::println).run();
            assertThat(partial.reason()).startsWith("halted in wave 2");
            assertThat(partial.failed()).singleElement().asString().startsWith("edge-3").contains("not trusted");
            assertThat(partial.rolledBack()).containsExactly("edge-1", "edge-2");
            awaitVersions(agents, "1");

            Files.copy(temp.resolve("keys/release.pub"), temp.resolve("trust-3/release.pub"));
            Rollout.Report completed = new Rollout(settings(broker, "2", goodSha), System.out::println).run();
            assertThat(completed.completed()).as(completed.reason()).isTrue();
            assertThat(completed.activated()).hasSize(AGENTS);
            awaitVersions(agents, "2");
            for (Agent agent : agents) {
                assertThat(agent.awaitCamerasFinished(Duration.ofSeconds(90))).isTrue();
            }
        } finally {
            for (Agent agent : agents) {
                agent.close();
            }
        }
        try {
            Map<String, List<Long>> byCamera = new HashMap<>();
            Map<String, List<String>> versions = new HashMap<>();
            for (byte[] value : EdgeTestKit.records(broker.bootstrap(), "predictions")) {
                var p = new com.fasterxml.jackson.databind.ObjectMapper().readTree(new String(value,
                        StandardCharsets.UTF_8));
                byCamera.computeIfAbsent(p.get("camera_id").asText(), c -> new ArrayList<>()).add(p.get("seq")
                        .asLong());
                versions.computeIfAbsent(p.get("camera_id").asText(), c -> new ArrayList<>())
                        .add(p.get("model").get("version").asText());
            }
            assertThat(byCamera).hasSize(AGENTS);
            for (var camera : byCamera.entrySet()) {
                assertThat(camera.getValue()).as("%s: every frame once, in order", camera.getKey()).hasSize(FRAMES)
                        .isSorted().doesNotHaveDuplicates();
                List<String> runs = new ArrayList<>();
                for (String version : versions.get(camera.getKey())) {
                    if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(version)) {
                        runs.add(version);
                    }
                }
                boolean rolledBack = camera.getKey().equals("cam-1") || camera.getKey().equals("cam-2");
                assertThat(runs).as("%s: the versions that served it, in order", camera.getKey())
                        .isEqualTo(rolledBack ? List.of("1", "2", "1", "2") : List.of("1", "2"));
            }
        } finally {
            broker.close();
        }
    }

    /** Agent 3 trusts only a directory that holds a stranger's key until the test adds the release key. */
    private static Path trust(Path temp, int agent) throws Exception {
        if (agent != 3) {
            return temp.resolve("keys/release.pub");
        }
        Path dir = temp.resolve("trust-3");
        SigningKeys.generate(dir, "stranger");
        Files.delete(dir.resolve("stranger.key"));
        return dir;
    }

    private static void awaitVersions(List<Agent> agents, String version) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (agents.stream().anyMatch(a -> !a.servingVersion().equals(version)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        for (Agent agent : agents) {
            assertThat(agent.servingVersion()).isEqualTo(version);
        }
    }

    private static Rollout.Settings settings(EmbeddedKafkaBroker broker, String version, String sha) {
        return new Rollout.Settings(broker.bootstrap(), "fleet-status", "model-updates", "crate-shapes", version, sha,
                "north", List.of(0.2, 0.6, 1.0), 0.0, 60_000, 30_000);
    }

}
