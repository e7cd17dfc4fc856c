package ai.crate.edge.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fleet as {@code fleet-status} shows it: every agent's latest heartbeat, and the agents' model events since a
 * given time. Read with {@link #read}, which takes everything on the topic up to its current end.
 */
public final class FleetView {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Device> devices;
    private final List<JsonNode> events;

    /** One agent as its last heartbeat described it. */
    public record Device(String id, String group, String model, String version, String state, long lastSeenMillis,
                         double fps, long spoolPending) {
    }

    private FleetView(Map<String, Device> devices, List<JsonNode> events) {
        this.devices = devices;
        this.events = events;
    }

    /** Reads {@code topic} to its end; events older than {@code eventsSinceMillis} are left out. */
    public static FleetView read(String bootstrap, String topic, long eventsSinceMillis) {
        Map<String, Device> devices = new TreeMap<>();
        List<JsonNode> events = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline
                    && partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    JsonNode event = parse(record.value());
                    if (event == null || !event.has("device_id")) {
                        continue;
                    }
                    if (event.path("event").asText().equals("heartbeat")) {
                        devices.put(event.get("device_id").asText(), device(event));
                    } else if (event.path("time_ms").asLong() >= eventsSinceMillis) {
                        events.add(event);
                    }
                }
            }
        }
        return new FleetView(devices, events);
    }

    private static JsonNode parse(byte[] value) {
        try {
            return value == null ? null : JSON.readTree(value);
        } catch (IOException e) {
            return null;
        }
    }

    private static Device device(JsonNode heartbeat) {
        return new Device(heartbeat.get("device_id").asText(), heartbeat.path("group").asText(),
                heartbeat.path("model").path("name").asText(), heartbeat.path("model").path("version").asText(),
                heartbeat.path("state").asText(), heartbeat.path("time_ms").asLong(), heartbeat.path("fps").asDouble(),
                heartbeat.path("spool_pending").asLong());
    }

    /** Every agent that sent a heartbeat, by id. */
    public Map<String, Device> devices() {
        return devices;
    }

    /** The agents' model events ({@code model-activated}, {@code model-refused}, {@code rolled-back}), in order. */
    public List<JsonNode> events() {
        return events;
    }
}
