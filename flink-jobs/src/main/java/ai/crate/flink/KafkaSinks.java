package ai.crate.flink;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;

/** The jobs' Kafka sinks: {@link KeyedRecord}s to one topic, key and value as they are. */
final class KafkaSinks {
    private KafkaSinks() {
    }

    /**
     * A sink to {@code topic}; with {@code EXACTLY_ONCE} its transactions are named from {@code transactionalPrefix}
     * and time out after {@code transactionTimeoutMillis}.
     */
    static KafkaSink<KeyedRecord> to(String bootstrap, String topic, DeliveryGuarantee delivery,
                                     String transactionalPrefix, long transactionTimeoutMillis) {
        return KafkaSink.<KeyedRecord>builder()
                .setBootstrapServers(bootstrap)
                .setDeliveryGuarantee(delivery)
                .setTransactionalIdPrefix(transactionalPrefix)
                .setProperty("transaction.timeout.ms", Long.toString(transactionTimeoutMillis))
                .setRecordSerializer(new Records(topic))
                .build();
    }

    /**
     * Each record to {@code topic}, key as UTF-8 and value as it is, without a timestamp: Kafka gives it the
     * producer's clock. The stream's event time (a frame's capture time) stays out of the Kafka timestamp, because a
     * broker refuses timestamps more than {@code message.timestamp.after.max.ms} (1 h by default) ahead of its own
     * clock, and one frame from a camera with a fast clock would then fail every write and restart the job forever.
     * The capture time is in each record's payload.
     */
    static final class Records implements KafkaRecordSerializationSchema<KeyedRecord> {
        private final String topic;

        Records(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(KeyedRecord record, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, null, null, record.key.getBytes(StandardCharsets.UTF_8), record.value);
        }
    }
}
