package ai.crate.ingest.feedback;

import ai.crate.ingest.IngestException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Publishes feedback to a topic, keyed by camera, with an idempotent producer and every record acknowledged by all
 * in-sync replicas before {@link #publish} returns; an unacknowledged record is an error, never a silent loss.
 */
public final class FeedbackPublisher {
    private FeedbackPublisher() {
    }

    public static void publish(String bootstrap, String topic, List<Feedback> feedback) throws IngestException {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true", ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000",
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000"),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<?>> acks = new ArrayList<>();
            for (Feedback f : feedback) {
                acks.add(producer.send(new ProducerRecord<>(topic, f.cameraId().getBytes(StandardCharsets.UTF_8),
                        f.toJson())));
            }
            for (Future<?> ack : acks) {
                ack.get();
            }
        } catch (ExecutionException e) {
            throw new IngestException("feedback to " + topic + " at " + bootstrap + " was not acknowledged: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IngestException("interrupted while publishing feedback");
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new IngestException("cannot publish feedback to " + topic + " at " + bootstrap + ": "
                    + e.getMessage(), e);
        }
    }
}
