package ai.crate.flink;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;

/**
 * The jobs' Kafka sinks: {@link KeyedRecord}s, key and value as they are, to one topic or to the topic each record
 * names. One sink for all of a job's topics runs one producer and, under exactly-once, one transaction per checkpoint
 * for all of them: each transaction start blocks the task thread for a round trip to the broker
 * ({@code initTransactions}), and each commit for another, once per sink.
 */
final class KafkaSinks {
    private KafkaSinks() {
    }

    /**
     * A sink to {@code topic}; with {@code EXACTLY_ONCE} its transactions are named from {@code transactionalPrefix}
     * and time out after {@code transactionTimeoutMillis}.
     */
    static KafkaSink<KeyedRecord> to(String bootstrap, String topic, DeliveryGuarantee delivery,
                                     String transactionalPrefix, long transactionTimeoutMillis) {
        return sink(bootstrap, new Records(topic), delivery, transactionalPrefix, transactionTimeoutMillis);
    }

    /** A sink that writes each record to the topic it names, otherwise as {@link #to}. */
    static KafkaSink<KeyedRecord> toEachRecordsTopic(String bootstrap, DeliveryGuarantee delivery,
                                                     String transactionalPrefix, long transactionTimeoutMillis) {
        return sink(bootstrap, new Records(null), delivery, transactionalPrefix, transactionTimeoutMillis);
    }

    private static KafkaSink<KeyedRecord> sink(String bootstrap, Records records, DeliveryGuarantee delivery,
                                               String transactionalPrefix, long transactionTimeoutMillis) {
        return KafkaSink.<KeyedRecord>builder()
                .setBootstrapServers(bootstrap)
                .setDeliveryGuarantee(delivery)
                .setTransactionalIdPrefix(transactionalPrefix)
                .setProperty("transaction.timeout.ms", Long.toString(transactionTimeoutMillis))
                .setRecordSerializer(records)
                .build();
    }

    /**
     * Each record to the topic it names, or to {@code topic} when it names none; key as UTF-8 and value as it is.
     * Without a timestamp: Kafka gives it the
     * producer's clock. The stream's event time (a frame's capture time) stays out of the Kafka timestamp, because a
     * broker refuses timestamps more than {@code message.timestamp.after.max.ms} (1 h by default) ahead of its own
     * clock, and one frame from a camera with a fast clock would then fail every write and restart the job forever.
     * The capture time is in each record's payload.
     */
    static final class Records implements KafkaRecordSerializationSchema<KeyedRecord> {
        private final String topic;

        /** @param topic the topic of records that name none, or null when every record must name its own */
        Records(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(KeyedRecord record, KafkaSinkContext context, Long timestamp) {
            String to = record.topic != null ? record.topic : topic;
            if (to == null) {
                throw new IllegalArgumentException("the record for key '" + record.key + "' names no topic, and this"
                        + " sink writes each record to the topic it names");
            }
            return new ProducerRecord<>(to, null, null, record.key.getBytes(StandardCharsets.UTF_8), record.value);
        }
    }
}
