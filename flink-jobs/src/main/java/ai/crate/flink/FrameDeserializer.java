package ai.crate.flink;

import ai.crate.ingest.FrameRecords;
import ai.crate.ingest.IngestException;
import ai.crate.ingest.proto.Frame;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;

/**
 * Turns {@code frames} records into {@link FrameEvent}s and never throws: a record that is not a valid
 * {@code crate.frames.v1.Frame} becomes an event carrying the reason, which the job sends to the dead-letter topic.
 */
public final class FrameDeserializer implements KafkaRecordDeserializationSchema<FrameEvent> {

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<FrameEvent> out) {
        FrameEvent event = new FrameEvent();
        event.receivedMillis = System.currentTimeMillis();
        event.origin = record.topic() + "/" + record.partition() + "/" + record.offset();
        event.cameraId = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
        try {
            Frame frame = FrameRecords.parse(record.value());
            event.cameraId = frame.getCameraId();
            event.seq = frame.getSeq();
            event.captureMicros = frame.getCaptureTimeUs();
            event.width = frame.getWidth();
            event.height = frame.getHeight();
            event.encoding = frame.getEncoding().name();
            event.data = frame.getData().toByteArray();
            event.label = frame.hasLabel() ? frame.getLabel() : null;
        } catch (IngestException | RuntimeException e) {
            event.error = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        out.collect(event);
    }

    @Override
    public TypeInformation<FrameEvent> getProducedType() {
        return TypeInformation.of(FrameEvent.class);
    }
}
