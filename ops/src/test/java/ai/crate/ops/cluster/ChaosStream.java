package ai.crate.ops.cluster;

import ai.crate.ingest.FrameRecords;
import ai.crate.ingest.proto.Frame;
import ai.crate.patchify.FrameFormat;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * One chaos run on the local cluster: its own {@code frames} and {@code predictions} topics, {@code InferenceJob}
 * submitted on them (exactly-once, checkpoints every second), frames sent at a steady rate from a thread, and the
 * committed predictions read back ({@code read_committed}) to count what was lost or duplicated.
 */
final class ChaosStream implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path JOBS_JAR = Path.of("../flink-jobs/target/crate-flink-jobs-0.1.0-SNAPSHOT-job.jar");
    private static final Path MODEL = Path.of("demo/crate-shapes").toAbsolutePath();

    private final ClusterState cluster;
    private final String name;
    private final FlinkRest rest;
    final String jobId;
    private final List<byte[]> pictures = new ArrayList<>();
    private volatile Thread sender;
    private volatile int sent;

    ChaosStream(ClusterState cluster, String name) throws Exception {
        this.cluster = cluster;
        this.name = name;
        this.rest = new FlinkRest(cluster.restUrl());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap()))) {
            admin.createTopics(List.of(new NewTopic(frames(), 2, (short) 3), new NewTopic(predictions(), 2, (short) 3),
                    new NewTopic(name + "-dlq", 1, (short) 3))).all().get(60, TimeUnit.SECONDS);
        }
        for (int i = 0; i < 10; i++) {
            pictures.add(picture(i));
        }
        jobId = rest.submit(JOBS_JAR, "ai.crate.flink.InferenceJob", List.of("--bootstrap", cluster.bootstrap(),
                "--model-uri", MODEL.toString(), "--frames-topic", frames(), "--predictions-topic", predictions(),
                "--dlq-topic", name + "-dlq", "--group-id", name, "--checkpoint-ms", "1000", "--parallelism", "2",
                "--engine-threads", "1", "--no-codes", "--telemetry-every", "0"), 2);
        awaitRunning(Duration.ofSeconds(90));
    }

    String frames() {
        return name + "-frames";
    }

    String predictions() {
        return name + "-predictions";
    }

    int sent() {
        return sent;
    }

    void awaitRunning(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode job = rest.job(jobId);
            boolean all = "RUNNING".equals(job.path("state").asText());
            for (JsonNode vertex : job.path("vertices")) {
                all &= vertex.path("tasks").path("RUNNING").asInt() == vertex.path("parallelism").asInt();
            }
            if (all) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(name + ": the job did not reach RUNNING on all its tasks in " + timeout);
    }

    /** Sends {@code count} frames at {@code perSecond} from a background thread (0 for as fast as possible). */
    void send(int count, double perSecond) {
        send(0, count, perSecond);
    }

    /** Sends frames {@code from} to {@code from + count − 1}. */
    void send(int from, int count, double perSecond) {
        sender = new Thread(() -> {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "300000");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                long start = System.nanoTime();
                for (int seq = from; seq < from + count; seq++) {
                    if (perSecond > 0) {
                        long due = start + (long) ((seq - from) / perSecond * 1e9);
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        }
                    }
                    Frame frame = Frame.newBuilder().setSchemaVersion(FrameRecords.SCHEMA_VERSION).setCameraId(name)
                            .setSeq(seq).setCaptureTimeUs(System.currentTimeMillis() * 1000).setWidth(96)
                            .setHeight(96).setEncoding(FrameRecords.encodingOf(FrameFormat.JPEG))
                            .setData(ByteString.copyFrom(pictures.get(seq % pictures.size()))).build();
                    producer.send(new ProducerRecord<>(frames(), FrameRecords.key(name), frame.toByteArray()));
                    sent = seq + 1;
                }
                producer.flush();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, name + "-sender");
        sender.start();
    }

    void awaitSent() throws InterruptedException {
        sender.join();
    }

    /** How many predictions are committed now (read to the end of the topic once). */
    int committed() {
        int count = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = predictionsFromStart()) {
            List<TopicPartition> partitions = List.copyOf(consumer.assignment());
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                count += consumer.poll(Duration.ofMillis(200)).count();
            }
        }
        return count;
    }

    /** Reads the committed predictions until {@code expected} distinct frames arrived or {@code timeout} passed. */
    Outcome collect(int expected, Duration timeout) {
        Map<Long, Integer> copies = new HashMap<>();
        List<Long> predictedMicros = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = predictionsFromStart()) {
            List<TopicPartition> partitions = List.copyOf(consumer.assignment());
            long deadline = System.nanoTime() + timeout.toNanos();
            boolean drained = false;
            while (System.nanoTime() < deadline && !drained) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    JsonNode prediction = JSON.readTree(new String(record.value(), StandardCharsets.UTF_8));
                    copies.merge(prediction.path("seq").asLong(), 1, Integer::sum);
                    predictedMicros.add(prediction.path("predicted_time_us").asLong());
                }
                if (copies.size() >= expected) {
                    Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                    drained = end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
                }
            }
        } catch (IOException e) {
            throw new AssertionError(name + ": a prediction is not JSON: " + e.getMessage(), e);
        }
        int duplicates = copies.values().stream().mapToInt(c -> c - 1).sum();
        return new Outcome(expected, copies.size(), expected - copies.size(), duplicates, predictedMicros);
    }

    /** A {@code read_committed} consumer of every partition of the predictions topic, from its beginning. */
    private KafkaConsumer<byte[], byte[]> predictionsFromStart() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(predictions()).stream()
                .map(i -> new TopicPartition(predictions(), i.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    /** Frames in, distinct frames out, lost, duplicated, and when each committed prediction was made. */
    record Outcome(int framesIn, int framesOut, int lost, int duplicated, List<Long> predictedMicros) {
        /** The longest pause between predictions within a minute after {@code faultMillis}, in seconds. */
        double recoverySeconds(long faultMillis) {
            List<Long> times = predictedMicros.stream().map(t -> t / 1000)
                    .filter(t -> t >= faultMillis - 1000 && t <= faultMillis + 60_000).sorted().toList();
            long longest = 0;
            long previous = faultMillis;
            for (long t : times) {
                if (t >= faultMillis) {
                    longest = Math.max(longest, t - previous);
                    previous = t;
                }
            }
            return longest / 1000.0;
        }

        /** Frames per second between the first and the last prediction. */
        double servedPerSecond() {
            long first = predictedMicros.stream().mapToLong(Long::longValue).min().orElse(0);
            long last = predictedMicros.stream().mapToLong(Long::longValue).max().orElse(0);
            return last > first ? framesOut * 1e6 / (last - first) : 0;
        }

        String line(String test, long faultMillis) {
            return String.format("chaos %s: frames_in=%d frames_out=%d lost=%d duplicated=%d recovery_s=%.1f", test,
                    framesIn, framesOut, lost, duplicated, recoverySeconds(faultMillis));
        }
    }

    @Override
    public void close() throws IOException {
        if (sender != null) {
            sender.interrupt();
            try {
                sender.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        rest.cancel(jobId);
    }

    private static byte[] picture(int seed) throws IOException {
        BufferedImage image = new BufferedImage(96, 96, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(40 + seed * 20, 160, 220 - seed * 15));
        g.fillRect(0, 0, 96, 96);
        g.setColor(Color.DARK_GRAY);
        g.fillOval(20 + seed * 3, 24, 44, 44);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpg", out);
        return out.toByteArray();
    }
}
