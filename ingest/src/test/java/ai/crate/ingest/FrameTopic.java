package ai.crate.ingest;

import ai.crate.ingest.proto.Frame;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** An independent read of a frames topic with a plain consumer, for the tests' accounting. */
final class FrameTopic {
    private FrameTopic() {
    }

    /** Every record of {@code topic} with key {@code camera}, in offset order, read until {@code idle} passes quietly. */
    static List<Frame> read(String bootstrap, String topic, String camera, Duration idle) throws Exception {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 32 * 1024 * 1024,
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<Frame> frames = new ArrayList<>();
            long quietSince = System.nanoTime();
            while (System.nanoTime() - quietSince < idle.toNanos()) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    quietSince = System.nanoTime();
                }
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    if (new String(record.key(), StandardCharsets.UTF_8).equals(camera)) {
                        frames.add(FrameRecords.parse(record.value()));
                    }
                }
            }
            return frames;
        }
    }
}
