package ai.crate.edge.spool;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The publisher outlives a producer that cannot be created (Kafka's hosts not resolvable yet) and a broker that refuses
 * the device's clock, and then delivers.
 */
class SpoolPublisherTest {

    @Test
    void aRefusedAppendTimeIsSentAgainWithTheProducersTimeAndNothingIsLost(@TempDir Path dir) throws Exception {
        MockProducer<byte[], byte[]> producer = new MockProducer<>(false, null, new ByteArraySerializer(),
                new ByteArraySerializer());
        try (Spool spool = Spool.open(dir, SpoolLimits.defaults(), FsyncPolicy.parse("never"), Clock.systemUTC())) {
            for (int i = 1; i <= 3; i++) {
                spool.append("predictions", "cam-1".getBytes(StandardCharsets.UTF_8),
                        Integer.toString(i).getBytes(StandardCharsets.UTF_8));
            }
            SpoolPublisher publisher = new SpoolPublisher(spool, Map.of(), config -> producer);
            try {
                long deadline = System.nanoTime() + 30_000_000_000L;
                boolean refused = false;
                while (spool.acknowledged() < 3 && System.nanoTime() < deadline) {
                    if (!refused && !producer.history().isEmpty()) {
                        refused = producer.errorNext(new InvalidTimestampException("Timestamp 1795937528578 of"
                                + " message with offset 0 is out of range"));
                    } else {
                        producer.completeNext();
                    }
                    Thread.sleep(5);
                }
            } finally {
                publisher.close();
            }
            assertThat(spool.acknowledged()).isEqualTo(3);
            List<ProducerRecord<byte[], byte[]>> sent = producer.history();
            assertThat(sent.get(0).timestamp()).as("first try: the append time").isNotNull();
            List<ProducerRecord<byte[], byte[]>> again = sent.subList(3, sent.size());
            assertThat(again).as("sent again after the refusal").isNotEmpty();
            assertThat(again).extracting(ProducerRecord::timestamp).containsOnlyNulls();
            assertThat(new String(again.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("1");
        }
    }

    @Test
    void aProducerThatCannotBeCreatedYetIsRetriedAndEveryRecordDeliveredInOrder(@TempDir Path dir) throws Exception {
        MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer());
        AtomicInteger attempts = new AtomicInteger();
        try (Spool spool = Spool.open(dir, SpoolLimits.defaults(), FsyncPolicy.parse("never"), Clock.systemUTC())) {
            for (int i = 1; i <= 50; i++) {
                spool.append("predictions", "cam-1".getBytes(StandardCharsets.UTF_8),
                        Integer.toString(i).getBytes(StandardCharsets.UTF_8));
            }
            SpoolPublisher publisher = new SpoolPublisher(spool, Map.of(), config -> {
                if (attempts.incrementAndGet() <= 2) {
                    throw new ConfigException("No resolvable bootstrap urls given in bootstrap.servers");
                }
                return producer;
            });
            try {
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (spool.acknowledged() < 50 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
            } finally {
                publisher.close();
            }
            assertThat(attempts.get()).isEqualTo(3);
            assertThat(spool.acknowledged()).isEqualTo(50);
            assertThat(producer.history()).extracting(ProducerRecord::value)
                    .extracting(v -> new String(v, StandardCharsets.UTF_8))
                    .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 50).mapToObj(
                            Integer::toString).toList());
        }
    }
}
