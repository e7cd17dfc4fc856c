package ai.crate.edge;

import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.video.VideoWriter;
import ai.crate.patchify.shapes.ShapesClip;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An agent process killed with {@code kill -9} while Kafka is unreachable, its newest spool segment then given a torn
 * tail: after a restart the agent starts, counts the damaged tail once, and replays everything else, so every
 * prediction it had made reaches Kafka, and any record sent twice carries the same key, seq and value.
 */
class AgentCrashITCase {

    @Test
    void aKilledAgentsSpoolIsReplayedAfterRestart(@TempDir Path temp) throws Exception {
        int kafkaPort = EdgeTestKit.freePort();
        int healthPort = EdgeTestKit.freePort();
        ShapesClip clip = new ShapesClip(3, 128, 3);
        for (String file : new String[] {"a.mp4", "b.mp4"}) {
            try (VideoWriter writer = new VideoWriter(temp.resolve(file), 128, 128, 25)) {
                for (int i = 0; i < (file.equals("a.mp4") ? 400 : 10); i++) {
                    writer.write(clip.frame(i));
                }
            }
        }
        Path model = Path.of("../ops/demo/crate-shapes").toAbsolutePath();
        Files.writeString(temp.resolve("first.yaml"), config(kafkaPort, model, "cam-a", temp.resolve("a.mp4"),
                healthPort));
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                AgentMain.class.getName(), temp.resolve("first.yaml").toString())
                .redirectErrorStream(true).redirectOutput(temp.resolve("child.log").toFile()).start();
        long made = 0;
        try {
            HttpClient http = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (made < 100 && System.nanoTime() < deadline && child.isAlive()) {
                Thread.sleep(200);
                made = predictions(http, healthPort);
            }
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
        assertThat(made).as("the agent classified frames into its spool before it was killed; its log: %s",
                Files.readString(temp.resolve("child.log"))).isGreaterThanOrEqualTo(100);

        Path newest;
        try (var segments = Files.list(temp.resolve("spool"))) {
            newest = segments.filter(p -> p.getFileName().toString().startsWith("segment-")).sorted()
                    .reduce((a, b) -> b).orElseThrow();
        }
        Files.write(newest, new byte[] {0x43, 0x52, 0x53, 0x50, 0, 0, 1, 0, 7, 7}, StandardOpenOption.APPEND);
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(kafkaPort, temp.resolve("kafka"));
        try {
            broker.createTopics(List.of(new NewTopic("predictions", 2, (short) 1),
                    new NewTopic("fleet-status", 1, (short) 1)));
            Files.writeString(temp.resolve("second.yaml"), config(kafkaPort, model, "cam-b", temp.resolve("b.mp4"),
                    0));
            try (Agent agent = Agent.start(AgentConfig.load(temp.resolve("second.yaml")))) {
                assertThat(agent.spoolStats().damaged()).as("the torn tail written after the kill, counted once")
                        .isEqualTo(1);
                agent.awaitCamerasFinished(Duration.ofSeconds(30));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while ((agent.predictions() < 10 || agent.spoolStats().pending() > 0)
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
            }
            Map<String, String> byFrame = new HashMap<>();
            List<Long> seqsA = new ArrayList<>();
            int duplicates = 0;
            for (JsonNode p : EdgeTestKit.jsonRecords(broker.bootstrap(), "predictions")) {
                String frame = p.get("camera_id").asText() + "/" + p.get("seq").asLong();
                String previous = byFrame.put(frame, p.toString());
                if (previous != null) {
                    duplicates++;
                    assertThat(p.toString()).as("a duplicate of %s is the same record", frame).isEqualTo(previous);
                } else if (p.get("camera_id").asText().equals("cam-a")) {
                    seqsA.add(p.get("seq").asLong());
                }
            }
            System.out.printf("kill -9 test: %d predictions made before the kill, %d of cam-a delivered after the"
                    + " restart, %d duplicates%n", made, seqsA.size(), duplicates);
            assertThat(seqsA.size()).as("every prediction made before the kill").isGreaterThanOrEqualTo((int) made);
            for (long s = 0; s < made; s++) {
                assertThat(byFrame).as("cam-a frame %d", s).containsKey("cam-a/" + s);
            }
            assertThat(byFrame.keySet().stream().filter(k -> k.startsWith("cam-b/")).count()).isEqualTo(10);
        } finally {
            broker.close();
        }
    }

    private static String config(int kafkaPort, Path model, String camera, Path source, int healthPort) {
        return """
                device_id: crashy
                kafka:
                  bootstrap: 127.0.0.1:%d
                model: %s
                engine: fast
                engine_threads: 1
                cameras:
                  - id: %s
                    source: %s
                    fps: 20
                spool:
                  dir: spool
                  fsync: interval:100
                state_dir: state
                health_port: %d
                heartbeat_seconds: 60
                """.formatted(kafkaPort, model, camera, source, healthPort);
    }

    private static long predictions(HttpClient http, int port) {
        try {
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = Pattern.compile("crate_agent_predictions_total\\{[^}]*} (\\d+)").matcher(metrics);
            return m.find() ? Long.parseLong(m.group(1)) : 0;
        } catch (Exception e) {
            return 0;
        }
    }

}
