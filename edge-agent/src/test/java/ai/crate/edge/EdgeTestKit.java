package ai.crate.edge;

import ai.crate.runtime.registry.ModelRegistry;
import ai.crate.runtime.signing.BundleSignature;
import ai.crate.runtime.signing.SigningKeys;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the edge agent's tests share: reading a topic to its end, a free port, and versions of the demo bundle. */
public final class EdgeTestKit {
    /** The bundled demo model, from the edge-agent module's directory. */
    public static final Path DEMO_MODEL = Path.of("../ops/demo/crate-shapes");
    private static final ObjectMapper JSON = new ObjectMapper();

    private EdgeTestKit() {
    }

    /** Every record value of {@code topic}, partition by partition, up to the end each partition had when asked. */
    public static List<byte[]> records(String bootstrap, String topic) {
        return consumerRecords(bootstrap, topic).stream().map(ConsumerRecord::value).toList();
    }

    /** As {@link #records}, whole records (keys too). */
    public static List<ConsumerRecord<byte[], byte[]>> consumerRecords(String bootstrap, String topic) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline
                    && partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    /** As {@link #records}, each value read as JSON. */
    public static List<JsonNode> jsonRecords(String bootstrap, String topic) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (byte[] value : records(bootstrap, topic)) {
            out.add(JSON.readTree(new String(value, StandardCharsets.UTF_8)));
        }
        return out;
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The demo bundle copied to {@code target} as {@code version} (unsigned). */
    public static Path copyDemoAsVersion(Path target, String version) throws IOException {
        Files.createDirectories(target);
        for (String file : new String[] {"weights.safetensors", "labels.txt"}) {
            Files.copy(DEMO_MODEL.resolve(file), target.resolve(file));
        }
        Files.writeString(target.resolve("manifest.json"), Files.readString(DEMO_MODEL.resolve("manifest.json"))
                .replace("\"version\" : \"1\"", "\"version\" : \"" + version + "\""));
        return target;
    }

    /** Signs {@code bundle} with {@code privateKey} and publishes it; returns its manifest's sha256. */
    public static String signAndPublish(ModelRegistry registry, Path bundle, Path privateKey) throws Exception {
        BundleSignature.sign(bundle, SigningKeys.readPrivate(privateKey), SigningKeys.publicBeside(privateKey));
        return registry.publish(bundle, Optional.empty()).manifestSha256();
    }
}
