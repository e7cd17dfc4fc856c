package ai.crate.ops.cli;

import ai.crate.ingest.FrameRecords;
import ai.crate.ingest.IngestException;
import ai.crate.ingest.broker.PipelineTopics;
import ai.crate.ingest.feedback.Feedback;
import ai.crate.ingest.proto.Frame;
import ai.crate.ingest.proto.SparseCodes;
import ai.crate.runtime.tensor.HalfFloats;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

/**
 * {@code crate tail}: decodes and prints a pipeline topic's records as they arrive, one line each: predictions
 * (camera, frame, top label and probability, model version, latency), sparse codes (camera, frame, layer, nonzeros,
 * density, largest entries), dead letters (camera, origin, reason), frames (camera, frame, size, encoding, bytes,
 * label), fleet-status, drift and training events (key and JSON), feedback (camera, frame, label, source). Reads
 * committed records only.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = "Prints records of a pipeline topic as they arrive, decoded, one per line: predictions,"
                + " sparse-codes, frames-dlq, frames, fleet-status, drift, training or feedback.")
final class TailCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TOPICS = List.of(PipelineTopics.PREDICTIONS, PipelineTopics.SPARSE_CODES,
            PipelineTopics.FRAMES_DLQ, PipelineTopics.FRAMES, PipelineTopics.FLEET_STATUS, PipelineTopics.DRIFT,
            PipelineTopics.TRAINING, PipelineTopics.FEEDBACK);

    @Parameters(index = "0", paramLabel = "TOPIC",
            description = "predictions, sparse-codes, frames-dlq, frames, fleet-status, drift, training or feedback.")
    String topic;

    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT", description = "Kafka bootstrap servers.")
    String bootstrap;

    @Option(names = "--camera", paramLabel = "ID", description = "Only this camera's records.")
    String camera;

    @Option(names = "--from-beginning", description = "Start at the oldest record instead of new ones.")
    boolean fromBeginning;

    @Option(names = "--max", defaultValue = "0", description = "Stop after this many records; 0 runs until Ctrl-C.")
    long max;

    @Option(names = "--idle-exit", defaultValue = "0", paramLabel = "SECONDS",
            description = "Stop after this long without a record; 0 never.")
    double idleExit;

    @Override
    public Integer call() throws Exception {
        if (!TOPICS.contains(topic)) {
            throw new IllegalArgumentException("tail decodes " + String.join(", ", TOPICS) + ", not '" + topic + "'");
        }
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "crate-tail-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 32 * 1024 * 1024),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long printed = 0;
            long lastRecord = System.nanoTime();
            while (max == 0 || printed < max) {
                var records = consumer.poll(Duration.ofMillis(250));
                if (!records.isEmpty()) {
                    lastRecord = System.nanoTime();
                }
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    String key = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
                    if (camera != null && !camera.equals(key)) {
                        continue;
                    }
                    System.out.println(line(record));
                    if (max > 0 && ++printed >= max) {
                        break;
                    }
                }
                if (idleExit > 0 && System.nanoTime() - lastRecord > idleExit * 1e9) {
                    break;
                }
            }
        }
        return 0;
    }

    /** Camera, frame, layer, rows, nonzeros kept, density and the largest entries of the first row. */
    static String codes(SparseCodes c) {
        int kept = c.getIndicesCount();
        float[] values = new float[kept];
        if (!c.getValuesFp16().isEmpty()) {
            ByteBuffer half = c.getValuesFp16().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < kept; i++) {
                values[i] = HalfFloats.halfToFloat(half.getShort());
            }
        } else {
            for (int i = 0; i < kept; i++) {
                values[i] = c.getValuesFp32(i);
            }
        }
        int firstRowEnd = c.getRowOffsetsCount() > 1 ? c.getRowOffsets(1) : kept;
        Integer[] order = new Integer[firstRowEnd];
        for (int i = 0; i < firstRowEnd; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Float.compare(Math.abs(values[b]), Math.abs(values[a])));
        StringBuilder top = new StringBuilder();
        for (int i = 0; i < Math.min(5, order.length); i++) {
            top.append(i == 0 ? "" : " ").append(c.getIndices(order[i])).append(':')
                    .append(String.format(Locale.ROOT, "%.3f", values[order[i]]));
        }
        return String.format(Locale.ROOT, "%s frame %d model=%s:%s layer %d %s rows=%d dim=%d nonzeros=%d"
                        + " density=%.3f top=[%s]", c.getCameraId(), c.getSeq(), c.getModelName(),
                c.getModelVersion(), c.getLayer(), c.getTokens().name().toLowerCase(Locale.ROOT), c.getRows(),
                c.getDim(), kept, c.getDensity(), top);
    }

    private String line(ConsumerRecord<byte[], byte[]> record) {
        try {
            if (topic.equals(PipelineTopics.FRAMES)) {
                Frame f = FrameRecords.parse(record.value());
                return String.format(Locale.ROOT, "%s frame %d %dx%d %s %d bytes%s", f.getCameraId(), f.getSeq(),
                        f.getWidth(), f.getHeight(), f.getEncoding(), f.getData().size(),
                        f.hasLabel() ? " label=" + f.getLabel() : "");
            }
            if (topic.equals(PipelineTopics.FEEDBACK)) {
                Feedback f = Feedback.parse(record.value());
                return String.format(Locale.ROOT, "%s frame %d label=%s source=%s", f.cameraId(), f.seq(), f.label(),
                        f.source());
            }
            if (topic.equals(PipelineTopics.SPARSE_CODES)) {
                return codes(SparseCodes.parseFrom(record.value()));
            }
            JsonNode p = JSON.readTree(record.value());
            if (topic.equals(PipelineTopics.FLEET_STATUS) || topic.equals(PipelineTopics.DRIFT)
                    || topic.equals(PipelineTopics.TRAINING)) {
                return new String(record.key() == null ? new byte[0] : record.key(), StandardCharsets.UTF_8) + " "
                        + p.toString();
            }
            if (topic.equals(PipelineTopics.FRAMES_DLQ)) {
                return String.format(Locale.ROOT, "%s %s %s", p.path("camera_id").asText(), p.path("origin").asText(),
                        p.path("reason").asText());
            }
            JsonNode top = p.path("top_k").path(0);
            double latency = System.currentTimeMillis() - p.path("capture_time_us").asLong() / 1000.0;
            return String.format(Locale.ROOT, "%s frame %d %s %.3f model=%s:%s latency_ms=%.0f%s",
                    p.path("camera_id").asText(), p.path("seq").asLong(), top.path("label").asText(),
                    top.path("probability").asDouble(), p.path("model").path("name").asText(),
                    p.path("model").path("version").asText(), latency,
                    p.has("ground_truth") ? " truth=" + p.get("ground_truth").asText() : "");
        } catch (IngestException | IOException e) {
            return "undecodable record at " + record.topic() + "/" + record.partition() + "/" + record.offset()
                    + ": " + e.getMessage();
        }
    }
}
