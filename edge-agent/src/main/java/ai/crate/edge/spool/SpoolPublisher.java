package ai.crate.edge.spool;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Drains a {@link Spool} to Kafka on its own thread: records are sent in spool order by an idempotent producer
 * ({@code acks=all}, at most 5 requests in flight, so each partition keeps the order and a retried batch is never
 * written twice) that retries for as long as the broker is away. A record the producer gives up on for a reason
 * that may pass (no metadata while the broker is away) is sent again, with every record after it that Kafka did not
 * already take, once those in flight have settled. The spool is acknowledged up to the record before the oldest one
 * not yet taken. An outage therefore only makes the spool grow; nothing is lost or sent twice. Duplicates are
 * possible only after a crash (records Kafka had but the spool's mark had not recorded) or after a producer failure
 * that forces a new producer, and then they carry the same keys and values. A record Kafka refuses for good (too
 * large, an invalid topic) is logged, counted in {@link #undeliverable} and skipped, so it cannot block the spool.
 */
public final class SpoolPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolPublisher.class);
    private static final int BATCH = 500;
    private static final int MAX_IN_FLIGHT = 5000;

    private final Spool spool;
    private final Function<Map<String, Object>, Producer<byte[], byte[]>> producers;
    private final Map<String, Object> config;
    private final NavigableSet<Long> inFlight = new ConcurrentSkipListSet<>();
    private final NavigableSet<Long> toResend = new ConcurrentSkipListSet<>();
    private final NavigableSet<Long> taken = new ConcurrentSkipListSet<>();
    private final AtomicLong undeliverable = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicReference<KafkaException> fatal = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean running = true;
    /**
     * Whether records carry their append time as the Kafka timestamp; off for good once the broker refuses one, which
     * it does for timestamps more than {@code message.timestamp.after.max.ms} (1 h by default) ahead of its clock.
     */
    private volatile boolean appendTimes = true;
    private volatile long lastSent;

    /** A publisher to {@code bootstrap}; {@code extra} producer settings override the defaults. */
    public static SpoolPublisher start(Spool spool, String bootstrap, String clientId, Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 16L << 20);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.putAll(extra);
        return new SpoolPublisher(spool, config, c -> new KafkaProducer<>(c, new ByteArraySerializer(),
                new ByteArraySerializer()));
    }

    SpoolPublisher(Spool spool, Map<String, Object> config,
                   Function<Map<String, Object>, Producer<byte[], byte[]>> producers) {
        this.spool = spool;
        this.config = config;
        this.producers = producers;
        this.lastSent = spool.acknowledged();
        this.thread = new Thread(this::run, "crate-spool-publisher");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            Producer<byte[], byte[]> producer = null;
            try {
                producer = producers.apply(config);
                drain(producer);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            } catch (IOException | RuntimeException e) {
                if (producer == null) {
                    LOG.error("spool publisher: cannot create a Kafka producer ({}); trying again in 1 s",
                            e.toString());
                } else {
                    LOG.error("spool publisher: {}; starting over from the spool's acknowledged mark", e.toString());
                }
                pause(1000);
            } finally {
                if (producer != null) {
                    producer.close(java.time.Duration.ofSeconds(running ? 0 : 10));
                }
                acknowledgeDone();
            }
            inFlight.clear();
            toResend.clear();
            taken.clear();
            lastSent = spool.acknowledged();
            fatal.set(null);
        }
    }

    /** Sends until stopped or until the producer fails for good (then the caller starts a new one). */
    private void drain(Producer<byte[], byte[]> producer) throws IOException, InterruptedException {
        while (running) {
            KafkaException failure = fatal.get();
            if (failure != null) {
                throw failure;
            }
            if (!toResend.isEmpty()) {
                if (!inFlight.isEmpty()) {
                    Thread.sleep(20);
                    continue;
                }
                long from = toResend.first() - 1;
                LOG.info("spool publisher: sending again from record {} ({} records to resend)", from + 1,
                        toResend.size());
                toResend.clear();
                lastSent = from;
                Thread.sleep(500);
            }
            if (inFlight.size() >= MAX_IN_FLIGHT) {
                acknowledgeDone();
                Thread.sleep(20);
                continue;
            }
            List<SpooledRecord> records = spool.read(lastSent, BATCH, 200);
            for (SpooledRecord record : records) {
                if (!taken.contains(record.sequence())) {
                    send(producer, record);
                }
                lastSent = record.sequence();
                if (!toResend.isEmpty()) {
                    break;
                }
            }
            acknowledgeDone();
        }
    }

    private void send(Producer<byte[], byte[]> producer, SpooledRecord record) throws InterruptedException {
        inFlight.add(record.sequence());
        while (running) {
            try {
                producer.send(new ProducerRecord<>(record.topic(), null, appendTimes ? record.appendedMillis() : null,
                        record.key(), record.value()), (metadata, error) -> completed(record, error));
                return;
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                LOG.warn("spool publisher: no metadata for {} yet (is Kafka reachable?); retrying", record.topic());
            }
        }
    }

    private void completed(SpooledRecord record, Exception error) {
        if (error == null) {
            delivered.incrementAndGet();
            taken.add(record.sequence());
        } else if (error instanceof InvalidTimestampException) {
            if (appendTimes) {
                appendTimes = false;
                LOG.warn("spool publisher: Kafka refuses record {}'s append time ({}): this device's clock is probably"
                        + " ahead of the broker's; records are sent with the producer's time from now on",
                        record.sequence(), error.getMessage());
            }
            toResend.add(record.sequence());
        } else if (error instanceof RetriableException) {
            LOG.debug("spool publisher: record {} not taken yet ({}); it will be sent again", record.sequence(),
                    error.getMessage());
            toResend.add(record.sequence());
        } else if (error instanceof org.apache.kafka.common.errors.RecordTooLargeException
                || error instanceof org.apache.kafka.common.errors.InvalidTopicException
                || error instanceof org.apache.kafka.common.errors.SerializationException) {
            undeliverable.incrementAndGet();
            taken.add(record.sequence());
            LOG.error("spool publisher: Kafka refuses record {} to {} for good ({}); skipping it", record.sequence(),
                    record.topic(), error.toString());
        } else {
            fatal.compareAndSet(null, error instanceof KafkaException k ? k : new KafkaException(error));
            return;
        }
        inFlight.remove(record.sequence());
    }

    /** Acknowledges the spool up to the record before the oldest one Kafka has not taken. */
    private void acknowledgeDone() {
        long done = lastSent;
        Long oldestInFlight = inFlight.ceiling(Long.MIN_VALUE);
        if (oldestInFlight != null) {
            done = Math.min(done, oldestInFlight - 1);
        }
        Long oldestToResend = toResend.ceiling(Long.MIN_VALUE);
        if (oldestToResend != null) {
            done = Math.min(done, oldestToResend - 1);
        }
        try {
            spool.acknowledge(done);
        } catch (IOException e) {
            LOG.warn("spool publisher: cannot record the acknowledged mark ({}); records may be sent again after a"
                    + " restart", e.getMessage());
        }
        taken.headSet(done, true).clear();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Records Kafka acknowledged since this publisher started. */
    public long delivered() {
        return delivered.get();
    }

    /** Records Kafka refused for good and the publisher skipped. */
    public long undeliverable() {
        return undeliverable.get();
    }

    /** Records sent and not yet acknowledged by Kafka. */
    public int inFlight() {
        return inFlight.size();
    }

    /** Stops after giving records in flight up to 10 s to be acknowledged; the rest stay in the spool. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(30_000);
    }
}
