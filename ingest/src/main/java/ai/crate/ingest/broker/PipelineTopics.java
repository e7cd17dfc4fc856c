package ai.crate.ingest.broker;

import org.apache.kafka.clients.admin.NewTopic;

import java.util.List;
import java.util.Map;

/**
 * The pipeline's topics with their partition counts and retention, as {@code bin/crate broker} creates them. Frame
 * topics accept records up to 16 MiB; model updates and fleet status are compacted (the latest per key is kept).
 */
public final class PipelineTopics {
    public static final String FRAMES = "frames";
    public static final String FRAMES_DLQ = "frames-dlq";
    public static final String PREDICTIONS = "predictions";
    public static final String SPARSE_CODES = "sparse-codes";
    public static final String FEEDBACK = "feedback";
    public static final String MODEL_UPDATES = "model-updates";
    public static final String FLEET_STATUS = "fleet-status";
    public static final String DRIFT = "drift";
    public static final String TRAINING = "training";

    private static final String DAY_MS = Long.toString(24L * 3600 * 1000);
    private static final String WEEK_MS = Long.toString(7L * 24 * 3600 * 1000);
    private static final String SIXTEEN_MIB = Integer.toString(16 * 1024 * 1024);

    private PipelineTopics() {
    }

    /** The topics for a cluster whose topics have {@code replication} replicas. */
    public static List<NewTopic> all(short replication) {
        return List.of(
                topic(FRAMES, 4, replication, Map.of("retention.ms", DAY_MS, "max.message.bytes", SIXTEEN_MIB)),
                topic(FRAMES_DLQ, 1, replication, Map.of("retention.ms", WEEK_MS, "max.message.bytes", SIXTEEN_MIB)),
                topic(PREDICTIONS, 4, replication, Map.of("retention.ms", WEEK_MS)),
                topic(SPARSE_CODES, 4, replication, Map.of("retention.ms", Long.toString(3L * 24 * 3600 * 1000))),
                topic(FEEDBACK, 2, replication, Map.of("retention.ms", Long.toString(30L * 24 * 3600 * 1000),
                        "max.message.bytes", SIXTEEN_MIB)),
                topic(MODEL_UPDATES, 1, replication, Map.of("cleanup.policy", "compact")),
                topic(FLEET_STATUS, 1, replication, Map.of("cleanup.policy", "compact")),
                topic(DRIFT, 1, replication, Map.of("retention.ms", Long.toString(30L * 24 * 3600 * 1000))),
                topic(TRAINING, 1, replication, Map.of("retention.ms", Long.toString(90L * 24 * 3600 * 1000))));
    }

    private static NewTopic topic(String name, int partitions, short replication, Map<String, String> config) {
        return new NewTopic(name, partitions, replication).configs(config);
    }
}
