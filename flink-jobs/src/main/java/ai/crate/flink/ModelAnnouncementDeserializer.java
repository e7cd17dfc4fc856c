package ai.crate.flink;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns {@code model-updates} records into {@link ModelAnnouncement}s and never throws: a malformed record becomes
 * an announcement carrying the reason, which the job reports on {@code fleet-status}.
 */
public final class ModelAnnouncementDeserializer implements KafkaRecordDeserializationSchema<ModelAnnouncement> {

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ModelAnnouncement> out) {
        ModelAnnouncement announcement = ModelAnnouncement.parse(record.value());
        if (announcement.isBad()) {
            announcement.error = record.topic() + "/" + record.partition() + "/" + record.offset() + ": "
                    + announcement.error;
        }
        out.collect(announcement);
    }

    @Override
    public TypeInformation<ModelAnnouncement> getProducedType() {
        return TypeInformation.of(ModelAnnouncement.class);
    }
}
