package ai.crate.flink;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.flink.util.Collector;

/** Reads {@code feedback} records into {@link FeedbackEvent}s; never throws (a bad record carries its reason). */
public final class FeedbackDeserializer implements KafkaRecordDeserializationSchema<FeedbackEvent> {

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<FeedbackEvent> out) {
        FeedbackEvent event = FeedbackEvent.of(record.value());
        if (event.isBad()) {
            event.error = record.topic() + "/" + record.partition() + "/" + record.offset() + ": " + event.error;
        }
        out.collect(event);
    }

    @Override
    public TypeInformation<FeedbackEvent> getProducedType() {
        return TypeInformation.of(FeedbackEvent.class);
    }
}
