package ai.crate.flink;

import ai.crate.ingest.FrameRecords;
import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.feedback.Feedback;
import ai.crate.ingest.proto.Encoding;
import ai.crate.ingest.proto.Frame;
import ai.crate.patchify.shapes.ShapesDomain;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;

/**
 * What the job ITCases write to and read from the embedded broker: labelled shapes frames from two cameras,
 * malformed records, JSON records, and the committed contents of a topic as a read-committed consumer sees them.
 * Every send is acknowledged before a method returns, so a frame the job never saw is the job's loss, not the test's.
 */
final class KafkaTestTopics {
    static final ObjectMapper JSON = new ObjectMapper();
    private final EmbeddedKafkaBroker broker;

    KafkaTestTopics(EmbeddedKafkaBroker broker) {
        this.broker = broker;
    }

    /**
     * Frames {@code first .. first+count-1} of a labelled shapes set: frame {@code i} is camera {@code cam-(i%2)},
     * seq {@code i/2}, a JPEG; {@code pause} between frames paces the stream.
     */
    List<Frame> produceFrames(String topic, int first, int count, Duration pause) throws Exception {
        return produceFrames(topic, first, count, pause, ShapesDomain.STANDARD);
    }

    /** As {@link #produceFrames(String, int, int, Duration)}, the shapes as {@code domain} shows them. */
    List<Frame> produceFrames(String topic, int first, int count, Duration pause, ShapesDomain domain)
            throws Exception {
        List<Frame> sent = new ArrayList<>();
        List<Future<?>> acks = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = producer();
             TestFrames frames = new TestFrames(first + count, domain)) {
            for (int i = first; i < first + count; i++) {
                Frame frame = frames.frame(i);
                acks.add(producer.send(new ProducerRecord<>(topic, FrameRecords.key(frame.getCameraId()),
                        frame.toByteArray())));
                sent.add(frame);
                if (!pause.isZero()) {
                    producer.flush();
                    Thread.sleep(pause.toMillis());
                }
            }
        }
        awaitAll(acks);
        return sent;
    }

    /**
     * Four records the job must dead-letter: not a Frame, a truncated JPEG, a raw frame of the wrong size, and a JPEG
     * whose header claims 65000x65000 pixels, captured two hours ahead of the broker's clock (past the 1 h a Kafka 4
     * broker accepts in a record timestamp).
     */
    void produceMalformed(String topic) throws Exception {
        List<Future<?>> acks = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            acks.add(producer.send(new ProducerRecord<>(topic, FrameRecords.key("cam-bad"),
                    new byte[] {(byte) 0xFF, 3, 7})));
            acks.add(producer.send(new ProducerRecord<>(topic, FrameRecords.key("cam-bad"), Frame.newBuilder()
                    .setSchemaVersion(1).setCameraId("cam-bad").setSeq(1).setWidth(64).setHeight(64)
                    .setEncoding(Encoding.JPEG).setData(ByteString.copyFrom(new byte[] {(byte) 0xFF, (byte) 0xD8, 1,
                            2, (byte) 0xFF, (byte) 0xD9})).build().toByteArray())));
            acks.add(producer.send(new ProducerRecord<>(topic, FrameRecords.key("cam-bad"), Frame.newBuilder()
                    .setSchemaVersion(1).setCameraId("cam-bad").setSeq(2).setWidth(64).setHeight(64)
                    .setEncoding(Encoding.BGR24).setData(ByteString.copyFrom(new byte[100])).build().toByteArray())));
            byte[] huge = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xC0, 0, 17, 8, (byte) 0xFD, (byte) 0xE8,
                    (byte) 0xFD, (byte) 0xE8, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, (byte) 0xFF, (byte) 0xD9};
            acks.add(producer.send(new ProducerRecord<>(topic, FrameRecords.key("cam-bad"), Frame.newBuilder()
                    .setSchemaVersion(1).setCameraId("cam-bad").setSeq(3).setWidth(64).setHeight(64)
                    .setEncoding(Encoding.JPEG)
                    .setCaptureTimeUs((System.currentTimeMillis() + 2 * 3600_000L) * 1000)
                    .setData(ByteString.copyFrom(huge)).build().toByteArray())));
        }
        awaitAll(acks);
    }

    /** Feedback records, each acknowledged; key = camera id. */
    void produceFeedback(String topic, List<Feedback> labels) throws Exception {
        List<Future<?>> acks = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (Feedback label : labels) {
                acks.add(producer.send(new ProducerRecord<>(topic, label.cameraId().getBytes(StandardCharsets.UTF_8),
                        label.toJson())));
            }
        }
        awaitAll(acks);
    }

    void produce(String topic, String key, String value) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(topic, key.getBytes(StandardCharsets.UTF_8),
                    value.getBytes(StandardCharsets.UTF_8))).get();
        }
    }

    /**
     * The committed JSON records of {@code topic}; keeps reading until at least {@code expected} arrived or
     * {@code patience} passed (a transaction left open by a failure holds read-committed consumers back).
     */
    List<JsonNode> awaitCommitted(String topic, int expected, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        List<JsonNode> out;
        do {
            out = new ArrayList<>();
            for (byte[] value : committed(topic, Duration.ofSeconds(30))) {
                out.add(JSON.readTree(new String(value, StandardCharsets.UTF_8)));
            }
        } while (out.size() < expected && System.nanoTime() < deadline);
        return out;
    }

    /**
     * The committed JSON records of {@code topic} once every one of {@code keys} ({@code camera/seq}) is among them,
     * or when {@code patience} has passed. Unlike a count, duplicates (at-least-once after a restart) cannot end the
     * wait before the last frame's prediction is in.
     */
    List<JsonNode> awaitCommittedKeys(String topic, Collection<String> keys, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        List<JsonNode> out;
        Set<String> seen = new HashSet<>();
        do {
            out = new ArrayList<>();
            seen.clear();
            for (byte[] value : committed(topic, Duration.ofSeconds(30))) {
                JsonNode record = JSON.readTree(new String(value, StandardCharsets.UTF_8));
                out.add(record);
                seen.add(record.get("camera_id").asText() + "/" + record.get("seq").asLong());
            }
        } while (!seen.containsAll(keys) && System.nanoTime() < deadline);
        return out;
    }

    /**
     * Every committed record of {@code topic}: read with {@code read_committed} until each partition's position
     * reaches its last stable offset as the read began (or {@code patience} passed), so a slow fetch cannot cut the
     * read short.
     */
    List<byte[]> committed(String topic, Duration patience) {
        return read(topic, "read_committed", patience);
    }

    /** {@code camera/seq} of a prediction record. */
    static String predictionKey(byte[] value) {
        try {
            JsonNode prediction = JSON.readTree(value);
            return prediction.get("camera_id").asText() + "/" + prediction.get("seq").asLong();
        } catch (java.io.IOException e) {
            return "unreadable";
        }
    }

    /** Every record of {@code topic} as written, committed or not (for diagnosing a loss). */
    List<byte[]> written(String topic) {
        return read(topic, "read_uncommitted", Duration.ofSeconds(10));
    }

    private List<byte[]> read(String topic, String isolation, Duration patience) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<byte[]> out = new ArrayList<>();
            long deadline = System.nanoTime() + patience.toNanos();
            while (System.nanoTime() < deadline
                    && partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.add(r.value());
                }
            }
            return out;
        }
    }

    /**
     * A plain producer: acks from all replicas, one request in flight (so a partition keeps its order), no
     * idempotence (whose sequence bookkeeping made the embedded broker refuse a test producer's first batch with
     * OUT_OF_ORDER_SEQUENCE_NUMBER once, after a job's transactional recovery, and retry it until it expired).
     */
    private KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false",
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1"),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static void awaitAll(List<Future<?>> acks) throws Exception {
        for (Future<?> ack : acks) {
            ack.get();
        }
    }
}
