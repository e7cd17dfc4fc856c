package ai.crate.flink;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The sinks' records carry key and value as they are, go to the topic they name (or the sink's), and never carry the
 * stream's event time as their Kafka timestamp.
 */
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

    @Test
    void aRecordThatNamesItsTopicGoesThereAndOneThatNamesNoneThroughARoutingSinkIsRefused() {
        KafkaSinks.Records routing = new KafkaSinks.Records(null);
        ProducerRecord<byte[], byte[]> codes = routing.serialize(new KeyedRecord("sparse-codes", "cam-2",
                new byte[] {4}), null, null);
        assertThat(codes.topic()).isEqualTo("sparse-codes");
        assertThat(new String(codes.key(), StandardCharsets.UTF_8)).isEqualTo("cam-2");
        assertThat(new KafkaSinks.Records("predictions").serialize(new KeyedRecord("drift", "cam-2", new byte[0]),
                null, null).topic()).isEqualTo("drift");
        assertThatThrownBy(() -> routing.serialize(new KeyedRecord("cam-3", new byte[0]), null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'cam-3' names no topic");
    }
}
