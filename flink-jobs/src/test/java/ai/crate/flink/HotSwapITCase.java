package ai.crate.flink;

import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.proto.Frame;
import ai.crate.runtime.bundle.Sha256;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hot model swap on a running {@link InferenceJob} (MiniCluster, embedded broker, Flink's Prometheus reporter): a
 * malformed announcement, one whose sha256 does not match and an unsigned version are refused on {@code fleet-status} while version 1
 * keeps serving; a valid announcement of version 2, signed by a trusted key, mid-stream switches each camera once, with no frame lost or
 * repeated, and a task failure after the swap restarts on version 2 (from checkpointed state); the white-box
 * telemetry, model-version and throughput metrics are scraped from the reporter.
 */
class HotSwapITCase {
    private static final Path MODEL = Path.of("../ops/demo/crate-shapes");
    private static EmbeddedKafkaBroker broker;
    private static KafkaTestTopics topics;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.start(0, null);
        topics = new KafkaTestTopics(broker);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void announcedVersionsAreVerifiedAndSwappedMidStreamWithoutLosingFrames(@TempDir Path temp) throws Exception {
        broker.createTopics(List.of(new NewTopic("frames", 2, (short) 1), new NewTopic("predictions", 2, (short) 1),
                new NewTopic("frames-dlq", 1, (short) 1), new NewTopic("model-updates", 1, (short) 1),
                new NewTopic("fleet-status", 1, (short) 1), new NewTopic("drift", 1, (short) 1)));
        Path key = SignedBundles.newKey(temp.resolve("keys"), "release");
        Path version2 = SignedBundles.copyAsSignedVersion(MODEL, temp.resolve("crate-shapes-v2"), "2", key);
        Path unsigned3 = SignedBundles.copyAsVersion(MODEL, temp.resolve("crate-shapes-v3"), "3");
        String sha2 = Sha256.of(version2.resolve("manifest.json"));
        int port = freePort();

        Configuration config = new Configuration();
        config.setString("metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        config.setString("metrics.reporter.prom.port", Integer.toString(port));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        InferenceOptions options = InferenceOptions.parse("--bootstrap", broker.bootstrap(), "--model-uri",
                MODEL.toString(), "--group-id", "it-swap", "--max-batch", "4", "--max-wait-ms", "20",
                "--engine-threads", "1", "--checkpoint-ms", "300", "--no-codes", "--telemetry-every", "2",
                "--trusted-keys", temp.resolve("keys").toString());
        FailWhenArmed.reset();
        InferenceJob.build(env, options, stream -> stream.map(new FailWhenArmed()).name("fail-when-armed"));
        JobClient job = env.executeAsync("it-swap");
        ExecutorService background = Executors.newSingleThreadExecutor();
        try {
            Future<List<Frame>> firstPart = background.submit(() ->
                    topics.produceFrames("frames", 0, 60, Duration.ofMillis(30)));
            topics.awaitCommitted("predictions", 8, Duration.ofSeconds(60));
            topics.produce("model-updates", "crate-shapes", "{not json");
            topics.produce("model-updates", "crate-shapes", announcement("2", version2, "0".repeat(64)));
            topics.produce("model-updates", "crate-shapes", announcement("3", unsigned3,
                    Sha256.of(unsigned3.resolve("manifest.json"))));
            topics.produce("model-updates", "crate-shapes", announcement("2", version2, sha2));
            List<JsonNode> fleet = topics.awaitCommitted("fleet-status", 4, Duration.ofSeconds(60));

            List<Frame> sent = new ArrayList<>(firstPart.get());
            FailWhenArmed.ARMED.set(true);
            sent.addAll(topics.produceFrames("frames", 60, 20, Duration.ofMillis(30)));
            List<JsonNode> out = topics.awaitCommitted("predictions", sent.size(), Duration.ofSeconds(90));
            String metrics = scrape(port);
            assertThat(FailWhenArmed.FAILED.get()).as("a failure was injected after the swap").isTrue();

            Set<String> distinct = new HashSet<>();
            out.forEach(p -> distinct.add(p.get("camera_id").asText() + "/" + p.get("seq").asLong()));
            assertThat(out).as("each frame predicted once").hasSize(sent.size());
            assertThat(distinct).hasSize(sent.size());
            Map<String, List<String>> versions = new HashMap<>();
            for (JsonNode p : out) {
                versions.computeIfAbsent(p.get("camera_id").asText(), c -> new ArrayList<>())
                        .add(p.get("model").get("version").asText());
            }
            for (var camera : versions.entrySet()) {
                List<String> seen = camera.getValue();
                int firstNew = seen.indexOf("2");
                assertThat(firstNew).as("%s switched to version 2", camera.getKey()).isPositive();
                assertThat(seen.subList(0, firstNew)).as("%s before the switch", camera.getKey()).containsOnly("1");
                assertThat(seen.subList(firstNew, seen.size())).as("%s after the switch", camera.getKey())
                        .containsOnly("2");
            }

            assertThat(fleet).extracting(e -> e.get("event").asText())
                    .containsExactly("model-refused", "model-refused", "model-refused", "model-activated");
            assertThat(fleet.get(0).get("reason").asText()).contains("must be JSON");
            assertThat(fleet.get(1).get("reason").asText()).contains("sha256");
            assertThat(fleet.get(1).get("serving").get("version").asText()).isEqualTo("1");
            assertThat(fleet.get(2).get("reason").asText()).contains("not signed");
            assertThat(fleet.get(3).get("model").get("version").asText()).isEqualTo("2");
            assertThat(fleet.get(3).get("previous").get("version").asText()).isEqualTo("1");
            assertThat(topics.awaitCommitted("fleet-status", 0, Duration.ZERO))
                    .as("the restart resumed on version 2 from state, without reloading or re-announcing").hasSize(4);

            assertThat(metrics).contains("predictions").contains("modelRefusals").contains("batchSize")
                    .contains("latencyMillis");
            assertThat(metrics).as("label values have '-' replaced by Flink's reporter")
                    .containsPattern("camera_layer_codingRate\\{[^}]*camera=\"cam_0\"")
                    .containsPattern("sparsity\\{[^}]*layer=\"3\"")
                    .containsPattern("active\\{[^}]*version=\"2\"[^}]*} 1\\.0");
        } finally {
            background.shutdownNow();
            job.cancel().get();
        }
    }

    /** Fails the task once, on the first frame after the test arms it; the job restarts from its checkpoint. */
    static final class FailWhenArmed implements MapFunction<FrameEvent, FrameEvent> {
        static final AtomicBoolean ARMED = new AtomicBoolean();
        static final AtomicBoolean FAILED = new AtomicBoolean();

        static void reset() {
            ARMED.set(false);
            FAILED.set(false);
        }

        @Override
        public FrameEvent map(FrameEvent frame) {
            if (ARMED.get() && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure after the swap");
            }
            return frame;
        }
    }

    private static String announcement(String version, Path bundle, String sha) {
        return "{\"name\":\"crate-shapes\",\"version\":\"" + version + "\",\"bundle_uri\":\"" + bundle.toUri()
                + "\",\"sha256\":\"" + sha + "\"}";
    }

    /** The bundle under another version number: only the manifest changes, so its file hashes still hold. */

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String scrape(int port) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/metrics")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }
}
