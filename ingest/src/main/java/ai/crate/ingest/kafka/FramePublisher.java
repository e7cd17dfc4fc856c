package ai.crate.ingest.kafka;

import ai.crate.ingest.FrameRecords;
import ai.crate.ingest.IngestException;
import ai.crate.ingest.proto.Frame;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Publishes frames to a topic with an idempotent producer ({@code acks=all}, lz4, requests sized for frames), keyed by
 * camera id. With {@link Delivery#LOSSLESS} it blocks and retries for as long as Kafka is away; with
 * {@link Delivery#LIVE} a frame Kafka cannot take within a second is dropped and counted. The first delivery error
 * that is not a drop is kept and rethrown by the next {@link #publish}, {@link #flush} or {@link #close}.
 */
public final class FramePublisher implements AutoCloseable {
    /** Largest record the producer sends; the pipeline's {@code frames} topic accepts as much. */
    public static final int MAX_FRAME_BYTES = 16 * 1024 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(FramePublisher.class);

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final Delivery delivery;
    private final PublisherMetrics metrics = new PublisherMetrics();
    private final AtomicReference<Exception> firstError = new AtomicReference<>();

    public FramePublisher(String bootstrap, String topic, Delivery delivery, Map<String, Object> overrides) {
        this(new KafkaProducer<>(settings(bootstrap, delivery, overrides)), topic, delivery);
    }

    FramePublisher(Producer<byte[], byte[]> producer, String topic, Delivery delivery) {
        this.producer = producer;
        this.topic = topic;
        this.delivery = delivery;
    }

    /** The producer settings used for {@code delivery}, with {@code overrides} applied last. */
    public static Map<String, Object> settings(String bootstrap, Delivery delivery, Map<String, Object> overrides) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_FRAME_BYTES);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        config.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 2_000);
        if (delivery == Delivery.LOSSLESS) {
            config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
            config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.MAX_VALUE);
        } else {
            config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
            config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
        }
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.putAll(overrides);
        return config;
    }

    /**
     * Sends one frame; returns false if it was dropped ({@link Delivery#LIVE} only: Kafka did not take it in time).
     *
     * @throws IngestException if an earlier frame failed for good, or this one cannot be sent at all
     */
    public boolean publish(Frame frame) throws IngestException {
        rethrowFirstError();
        byte[] value = frame.toByteArray();
        if (value.length > MAX_FRAME_BYTES) {
            throw new IngestException("frame " + frame.getCameraId() + "/" + frame.getSeq() + " is " + value.length
                    + " bytes, over the " + MAX_FRAME_BYTES + "-byte limit; lower --max-side or use jpeg");
        }
        long sent = System.nanoTime();
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, FrameRecords.key(frame.getCameraId()), value);
        metrics.recordAttempt();
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    metrics.recordAcknowledged((System.nanoTime() - sent) / 1000);
                } else if (delivery == Delivery.LIVE && error instanceof RetriableException) {
                    metrics.recordFailed();
                } else {
                    metrics.recordFailed();
                    firstError.compareAndSet(null, error);
                }
            });
            return true;
        } catch (TimeoutException e) {
            if (delivery == Delivery.LIVE) {
                metrics.recordFailed();
                return false;
            }
            metrics.recordFailed();
            throw new IngestException("Kafka did not accept frame " + frame.getSeq() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            metrics.recordFailed();
            throw new IngestException("cannot send frame " + frame.getCameraId() + "/" + frame.getSeq() + " to "
                    + topic + ": " + e.getMessage(), e);
        }
    }

    /** Waits until every frame sent so far is acknowledged or has failed. */
    public void flush() throws IngestException {
        try {
            producer.flush();
        } catch (RuntimeException e) {
            throw new IngestException("flushing frames to " + topic + " failed: " + e.getMessage(), e);
        }
        rethrowFirstError();
    }

    private void rethrowFirstError() throws IngestException {
        Exception error = firstError.get();
        if (error != null) {
            throw new IngestException("publishing to " + topic + " failed: " + error.getMessage(), error);
        }
    }

    public PublisherMetrics metrics() {
        return metrics;
    }

    public String topic() {
        return topic;
    }

    /** Flushes, then closes the producer; frames still unsent after {@code timeout} are reported as an error. */
    public void close(Duration timeout) throws IngestException {
        try {
            producer.close(timeout);
        } catch (RuntimeException e) {
            LOG.warn("closing the producer failed: {}", e.getMessage());
        }
        rethrowFirstError();
    }

    @Override
    public void close() throws IngestException {
        close(Duration.ofSeconds(30));
    }
}
