package ai.crate.flink;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The sinks' records carry key and value as they are, and never the stream's event time as their Kafka timestamp. */
class KafkaSinksTest {

    @Test
    void aRecordFromAFrameCapturedHoursAheadGetsNoKafkaTimestamp() {
        long twoHoursAhead = System.currentTimeMillis() + 2 * 3600_000L;
        byte[] value = {1, 2, 3};
        ProducerRecord<byte[], byte[]> record = new KafkaSinks.Records("predictions")
                .serialize(new KeyedRecord("cam-7", value), null, twoHoursAhead);
        assertThat(record.topic()).isEqualTo("predictions");
        assertThat(record.timestamp()).isNull();
        assertThat(record.partition()).isNull();
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("cam-7");
        assertThat(record.value()).containsExactly(1, 2, 3);
    }
}
