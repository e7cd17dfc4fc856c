package ai.crate.flink;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;

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
                .setRecordSerializer(KafkaRecordSerializationSchema.<KeyedRecord>builder()
                        .setTopic(topic)
                        .setKeySerializationSchema(new KeyBytes())
                        .setValueSerializationSchema(new ValueBytes())
                        .build())
                .build();
    }

    /** The record's key as UTF-8. */
    static final class KeyBytes implements SerializationSchema<KeyedRecord> {
        @Override
        public byte[] serialize(KeyedRecord record) {
            return record.key.getBytes(StandardCharsets.UTF_8);
        }
    }

    /** The value's bytes as they are. */
    static final class ValueBytes implements SerializationSchema<KeyedRecord> {
        @Override
        public byte[] serialize(KeyedRecord record) {
            return record.value;
        }
    }
}
