package ai.crate.edge;

import ai.crate.ingest.FrameRecords;
import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.proto.Frame;
import ai.crate.ingest.proto.SparseCodes;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent end to end on an embedded broker: two cameras (H.264 files of 800 frames read at 10 frames/s, so 80 s of
 * live ingest) classified by the demo model on the CPU, with the broker down for 60 s in the middle. Every frame's
 * prediction reaches Kafka once, in order per camera, with the Flink job's schema, and its sparse code; one frame in
 * ten reaches {@code frames} for fine-tuning; heartbeats reach {@code fleet-status}; the health and metrics endpoints
 * answer.
 */
class AgentITCase {
    private static final int FRAMES = 800;

    @Test
    void everyFrameIsPredictedOnceThroughASixtySecondBrokerOutage(@TempDir Path temp) throws Exception {
        int port = EdgeTestKit.freePort();
        Path data = temp.resolve("kafka");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(port, data);
        broker.createTopics(List.of(new NewTopic("predictions", 2, (short) 1),
                new NewTopic("fleet-status", 1, (short) 1), new NewTopic("frames", 2, (short) 1),
                new NewTopic("sparse-codes", 2, (short) 1)));
        for (String camera : List.of("a", "b")) {
            ShapesClip clip = new ShapesClip(camera.equals("a") ? 1 : 2, 128, 5);
            try (VideoWriter writer = new VideoWriter(temp.resolve(camera + ".mp4"), 128, 128, 25)) {
                for (int i = 0; i < FRAMES; i++) {
                    writer.write(clip.frame(i));
                }
            }
        }
        Path config = temp.resolve("agent.yaml");
        Files.writeString(config, """
                device_id: edge-1
                group: it
                kafka:
                  bootstrap: %s
                model: %s
                engine: fast
                engine_threads: 1
                cameras:
                  - id: cam-a
                    source: %s
                    fps: 10
                  - id: cam-b
                    source: %s
                    fps: 10
                health_port: 0
                heartbeat_seconds: 1
                uploads:
                  sample_every: 10
                  max_side: 64
                codes:
                  tokens: cls
                """.formatted(broker.bootstrap(), Path.of("../ops/demo/crate-shapes").toAbsolutePath(),
                temp.resolve("a.mp4"), temp.resolve("b.mp4")));
        long pendingInOutage;
        try (Agent agent = Agent.start(AgentConfig.load(config))) {
            Thread.sleep(5000);
            broker.close();
            Thread.sleep(60_000);
            pendingInOutage = agent.spoolStats().pending();
            broker = EmbeddedKafkaBroker.start(port, data);
            assertThat(agent.awaitCamerasFinished(Duration.ofSeconds(60))).isTrue();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while ((agent.predictions() < 2 * FRAMES || agent.spoolStats().pending() > 0)
                    && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + agent.healthPort();
            assertThat(get(http, base + "/health/live").statusCode()).isEqualTo(200);
            assertThat(get(http, base + "/health/ready").statusCode()).isEqualTo(200);
            String metrics = get(http, base + "/metrics").body();
            assertThat(metrics).contains("crate_agent_predictions_total{device=\"edge-1\"} " + 2 * FRAMES)
                    .contains("crate_agent_frames_read_total{device=\"edge-1\",camera=\"cam-a\"} " + FRAMES)
                    .contains("crate_agent_frames_uploaded_total{device=\"edge-1\",camera=\"cam-b\"} " + FRAMES / 10)
                    .contains("crate_agent_model_info{device=\"edge-1\",model=\"crate-shapes\",version=\"1\"");
        }
        try {
            assertThat(pendingInOutage).as("predictions waited in the spool during the outage").isGreaterThan(1000);
            List<JsonNode> predictions = EdgeTestKit.jsonRecords(broker.bootstrap(), "predictions");
            assertThat(predictions).as("every frame once").hasSize(2 * FRAMES);
            Map<String, List<Long>> seqs = new HashMap<>();
            Set<String> distinct = new HashSet<>();
            for (JsonNode p : predictions) {
                seqs.computeIfAbsent(p.get("camera_id").asText(), c -> new ArrayList<>()).add(p.get("seq").asLong());
                distinct.add(p.get("camera_id").asText() + "/" + p.get("seq").asLong());
                assertThat(p.get("model").get("version").asText()).isEqualTo("1");
                assertThat(p.get("source").asText()).isEqualTo("edge-1");
                assertThat(p.get("top_k").get(0).has("label")).isTrue();
            }
            assertThat(distinct).hasSize(2 * FRAMES);
            for (List<Long> camera : seqs.values()) {
                assertThat(camera).as("in order per camera").isSorted().hasSize(FRAMES).startsWith(0L)
                        .endsWith(FRAMES - 1L);
            }
            List<Frame> uploads = new ArrayList<>();
            for (byte[] value : EdgeTestKit.records(broker.bootstrap(), "frames")) {
                uploads.add(FrameRecords.parse(value));
            }
            assertThat(uploads).as("one frame in 10 per camera uploaded").hasSize(2 * FRAMES / 10);
            for (Frame frame : uploads) {
                assertThat(frame.getSeq() % 10).isZero();
                assertThat(frame.getSourceUri()).isEqualTo("agent/edge-1");
                assertThat(Math.max(frame.getWidth(), frame.getHeight())).isLessThanOrEqualTo(64);
                assertThat(FrameRecords.image(frame).data()).isNotEmpty();
            }
            List<SparseCodes> codes = new ArrayList<>();
            for (byte[] value : EdgeTestKit.records(broker.bootstrap(), "sparse-codes")) {
                codes.add(SparseCodes.parseFrom(value));
            }
            assertThat(codes).as("a sparse code per frame").hasSize(2 * FRAMES);
            for (SparseCodes code : codes) {
                assertThat(code.getLayer()).as("the last of the demo model's 4 layers").isEqualTo(3);
                assertThat(code.getRows()).isEqualTo(1);
                assertThat(code.getModelVersion()).isEqualTo("1");
                assertThat(code.getIndicesCount()).isPositive();
            }
            List<JsonNode> heartbeats = EdgeTestKit.jsonRecords(broker.bootstrap(), "fleet-status");
            assertThat(heartbeats).isNotEmpty();
            assertThat(heartbeats.get(heartbeats.size() - 1).get("device_id").asText()).isEqualTo("edge-1");
            assertThat(heartbeats.get(heartbeats.size() - 1).has("spool_pending")).isTrue();
            assertThat(heartbeats.get(heartbeats.size() - 1).get("memory_available_bytes").asLong()).isPositive();
        } finally {
            broker.close();
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

}
