package ai.crate.flink;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The main streaming job: {@code frames} → never-throwing deserialiser → keyed by camera (so each camera's order is
 * kept) → {@link InferenceOperator} (patchify, micro-batch, CRATE) → {@code predictions} and {@code sparse-codes};
 * unusable records → {@code frames-dlq} with the reason. Versions announced on {@code model-updates} are broadcast to
 * every inference subtask and hot-swapped; model events go to {@code fleet-status}, drift events to {@code drift}.
 * Checkpointing is on; one sink writes all of these topics, transactionally ({@code EXACTLY_ONCE}, one transaction per
 * checkpoint for all topics; read them with {@code isolation.level=read_committed}) unless {@code --delivery
 * at-least-once}. Event time is the frames' capture time.
 *
 * <p>Exactly-once is refused on a Kafka cluster whose transaction protocol is version 2
 * ({@link TransactionVersionCheck}). The transaction timeout (default 60 s) must exceed the checkpoint interval plus
 * the time a restart takes, or Kafka aborts a checkpoint's transactions before recovery can commit them.
 *
 * <p>On a cluster: {@code flink run crate-flink-jobs-<version>-job.jar --bootstrap kafka:9092 --model-uri
 * /models/crate-shapes} (options in {@code README.md}).
 */
public final class InferenceJob {
    private static final Logger LOG = LoggerFactory.getLogger(InferenceJob.class);

    private InferenceJob() {
    }

    public static void main(String[] args) throws Exception {
        InferenceOptions options = InferenceOptions.parse(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        Optional<BoundedRun> bounded = build(env, options);
        JobExecutionResult result = env.execute("crate-inference");
        if (bounded.isPresent()) {
            if (result.isJobExecutionResult()) {
                bounded.get().commit();
            } else {
                LOG.warn("--bounded run submitted detached: its end is not committed for group {} (submit it"
                        + " attached to have it committed when the run succeeds)", options.groupId());
            }
        }
    }

    /**
     * Adds the job to {@code env} (a cluster's, or a local MiniCluster's in tests and the demo). With {@code
     * --bounded}, returns where the run stops: commit it ({@link BoundedRun#commit}) once {@code execute} has returned,
     * so that a later run under the same group starts after it.
     */
    public static Optional<BoundedRun> build(StreamExecutionEnvironment env, InferenceOptions options) {
        return build(env, options, UnaryOperator.identity());
    }

    /**
     * As {@link #build(StreamExecutionEnvironment, InferenceOptions)}, with {@code beforeInference} applied to the
     * frames between the source and the inference operator (tests inject failures there).
     */
    public static Optional<BoundedRun> build(StreamExecutionEnvironment env, InferenceOptions options,
                                             UnaryOperator<DataStream<FrameEvent>> beforeInference) {
        TransactionVersionCheck.check(options);
        Optional<BoundedRun> bounded = options.bounded() ? Optional.of(BoundedRun.at(options)) : Optional.empty();
        Configuration restart = new Configuration();
        restart.setString("restart-strategy.type", "fixed-delay");
        restart.setString("restart-strategy.fixed-delay.attempts", "10");
        restart.setString("restart-strategy.fixed-delay.delay", "2 s");
        env.configure(restart);
        env.enableCheckpointing(options.checkpointMillis(), CheckpointingMode.EXACTLY_ONCE);
        env.setParallelism(options.parallelism());
        env.setBufferTimeout(options.bufferTimeoutMillis());

        DataStream<FrameEvent> frames = env.fromSource(frameSource(options, bounded),
                        WatermarkStrategy.<FrameEvent>forBoundedOutOfOrderness(Duration.ofSeconds(5))
                                .withTimestampAssigner((frame, kafkaTime) -> frame.captureMicros > 0
                                        ? frame.captureMicros / 1000 : kafkaTime), "frames")
                .uid("frames-source");
        DataStream<ModelAnnouncement> updates = env.fromSource(updatesSource(options),
                        WatermarkStrategy.noWatermarks(), "model-updates")
                .uid("model-updates-source").setParallelism(1);
        SingleOutputStreamOperator<KeyedRecord> outputs = beforeInference.apply(frames)
                .keyBy(frame -> frame.cameraId)
                .connect(updates.broadcast())
                .transform("crate-inference", TypeInformation.of(KeyedRecord.class), new InferenceOperator(options))
                .uid("crate-inference");
        outputs.sinkTo(KafkaSinks.toEachRecordsTopic(options.bootstrap(), options.delivery(),
                        "crate-" + options.groupId() + "-outputs", options.transactionTimeoutMillis()))
                .name("outputs").uid("outputs-sink");
        return bounded;
    }

    /**
     * Frames from the offsets the group committed at its last completed checkpoint, or from the earliest retained
     * frame when it has committed none: a job started afresh (no savepoint) under the same {@code --group-id} resumes
     * where the previous one left off instead of predicting the whole retained topic again. A restore from a checkpoint
     * or savepoint takes the offsets in its state, whatever the group committed.
     */
    private static KafkaSource<FrameEvent> frameSource(InferenceOptions options, Optional<BoundedRun> bounded) {
        var builder = KafkaSource.<FrameEvent>builder()
                .setBootstrapServers(options.bootstrap())
                .setTopics(options.framesTopic())
                .setGroupId(options.groupId())
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setProperty("max.partition.fetch.bytes", Integer.toString(32 * 1024 * 1024))
                .setProperty("isolation.level", "read_committed")
                .setDeserializer(new FrameDeserializer());
        bounded.ifPresent(run -> builder.setBounded(run.stoppingOffsets()));
        return builder.build();
    }

    /**
     * Announcements on {@code model-updates} from the group's committed offsets, or from the end of the topic on the
     * first start: a job starts on its {@code --model-uri} and follows the versions announced while it runs.
     */
    private static KafkaSource<ModelAnnouncement> updatesSource(InferenceOptions options) {
        var builder = KafkaSource.<ModelAnnouncement>builder()
                .setBootstrapServers(options.bootstrap())
                .setTopics(options.updatesTopic())
                .setGroupId(options.groupId() + "-model-updates")
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.LATEST))
                .setProperty("isolation.level", "read_committed")
                .setDeserializer(new ModelAnnouncementDeserializer());
        if (options.bounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }
}
