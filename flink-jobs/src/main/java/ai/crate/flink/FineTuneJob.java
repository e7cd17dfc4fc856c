package ai.crate.flink;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The closed loop's job: {@code frames} ⋈ {@code feedback} by camera and seq ({@link FeedbackJoin}, within
 * {@code --retention-ms}) → {@link FineTuneOperator}, which keeps a replay buffer in state and, every N labels, every
 * T minutes or after a {@code drift} event, trains a candidate off the stream thread, gates it, signs it, records it
 * in the registry and, when accepted, announces it on {@code model-updates} for every {@link InferenceJob} (and edge
 * agent) to hot-swap. Fine-tune events, refusals and feedback that found no frame go to {@code training}.
 *
 * <p>On a cluster: {@code flink run -c ai.crate.flink.FineTuneJob crate-flink-jobs-<version>-job.jar --bootstrap
 * kafka:9092 --model-uri /models/crate-shapes --registry /models/registry --signing-key /etc/crate/release.key
 * --regression /data/regression-x.npy,/data/regression-y.npy} (options in {@code README.md}). The registry and
 * bundle directories must be on a file system every TaskManager and inference job can read. The replay buffer and
 * the frames waiting for labels are megabytes of state: checkpoint to a file system (the cluster's
 * {@code execution.checkpointing.dir}, or {@code --checkpoint-dir}), not to the JobManager's memory.
 */
public final class FineTuneJob {
    private FineTuneJob() {
    }

    public static void main(String[] args) throws Exception {
        FineTuneOptions options = FineTuneOptions.parse(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, options);
        env.execute("crate-fine-tune");
    }

    /** Adds the job to {@code env} (a cluster's, or a local MiniCluster's in tests and the demo). */
    public static void build(StreamExecutionEnvironment env, FineTuneOptions options) {
        Configuration restart = new Configuration();
        restart.setString("restart-strategy.type", "fixed-delay");
        restart.setString("restart-strategy.fixed-delay.attempts", "10");
        restart.setString("restart-strategy.fixed-delay.delay", "2 s");
        if (options.checkpointDir() != null) {
            restart.setString("execution.checkpointing.storage", "filesystem");
            restart.setString("execution.checkpointing.dir", options.checkpointDir());
        }
        env.configure(restart);
        env.enableCheckpointing(options.checkpointMillis(), CheckpointingMode.EXACTLY_ONCE);

        DataStream<FrameEvent> frames = env.fromSource(source(options, options.framesTopic(), "frames",
                        new FrameDeserializer(), OffsetResetStrategy.EARLIEST), WatermarkStrategy.noWatermarks(),
                        "frames").uid("fine-tune-frames-source");
        DataStream<FeedbackEvent> feedback = env.fromSource(source(options, options.feedbackTopic(), "feedback",
                        new FeedbackDeserializer(), OffsetResetStrategy.EARLIEST), WatermarkStrategy.noWatermarks(),
                        "feedback").uid("feedback-source");
        DataStream<String> drift = env.fromSource(source(options, options.driftTopic(), "drift",
                        new DriftMessages(),
                        OffsetResetStrategy.LATEST), WatermarkStrategy.noWatermarks(), "drift")
                .uid("drift-source").setParallelism(1);

        SingleOutputStreamOperator<LabelledFrame> labelled = frames.keyBy(FineTuneJob::frameKey)
                .connect(feedback.keyBy(FeedbackEvent::frameKey))
                .process(new FeedbackJoin(options.retentionMillis()), TypeInformation.of(LabelledFrame.class))
                .name("feedback-join").uid("feedback-join");
        SingleOutputStreamOperator<KeyedRecord> announcements = labelled
                .connect(drift)
                .transform("fine-tune", TypeInformation.of(KeyedRecord.class), new FineTuneOperator(options))
                .setParallelism(1).setMaxParallelism(1).uid("fine-tune");
        announcements.sinkTo(sink(options, options.updatesTopic())).name("model-updates").uid("updates-sink")
                .setParallelism(1);
        announcements.getSideOutput(FineTuneOperator.EVENTS).union(labelled.getSideOutput(FeedbackJoin.UNMATCHED))
                .sinkTo(sink(options, options.trainingTopic())).name("training").uid("training-sink")
                .setParallelism(1);
    }

    private static String frameKey(FrameEvent frame) {
        return frame.cameraId + "/" + frame.seq;
    }

    /**
     * A source of {@code topic} from the group's committed offsets; on the first start from {@code reset}: the
     * earliest frames and feedback (so none sent while the job starts is missed), the latest drift events.
     */
    private static <T> KafkaSource<T> source(FineTuneOptions options, String topic, String name,
                                             KafkaRecordDeserializationSchema<T> deserializer,
                                             OffsetResetStrategy reset) {
        return KafkaSource.<T>builder()
                .setBootstrapServers(options.bootstrap())
                .setTopics(topic)
                .setGroupId(options.groupId() + "-" + name)
                .setStartingOffsets(OffsetsInitializer.committedOffsets(reset))
                .setProperty("max.partition.fetch.bytes", Integer.toString(32 * 1024 * 1024))
                .setProperty("isolation.level", "read_committed")
                .setDeserializer(deserializer)
                .build();
    }

    /**
     * At-least-once: an announcement or event written twice after a restart is harmless (consumers ignore a version
     * they already serve), and no transaction has to outlive a fine-tune.
     */
    private static KafkaSink<KeyedRecord> sink(FineTuneOptions options, String topic) {
        return KafkaSinks.to(options.bootstrap(), topic, DeliveryGuarantee.AT_LEAST_ONCE, "crate-"
                + options.groupId() + "-" + topic, 60_000);
    }
}
