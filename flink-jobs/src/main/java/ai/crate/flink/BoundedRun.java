package ai.crate.flink;

import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Where a {@code --bounded} run of {@link InferenceJob} stops (the end of the frames topic when it is built), and the
 * commit of those offsets for its consumer group once the run has succeeded. The Kafka source commits its offsets
 * only after each checkpoint, asynchronously, and a bounded run's source closes right after its last one, which can
 * drop that commit; a later run under the same group would then predict the frames again. Call {@link #commit} after
 * {@code execute} returns.
 */
public final class BoundedRun {
    private final String bootstrap;
    private final String groupId;
    private final Map<TopicPartition, Long> end;

    private BoundedRun(String bootstrap, String groupId, Map<TopicPartition, Long> end) {
        this.bootstrap = bootstrap;
        this.groupId = groupId;
        this.end = Map.copyOf(end);
    }

    /** The committed end of {@code options}' frames topic now. */
    static BoundedRun at(InferenceOptions options) {
        String topic = options.framesTopic();
        try (Admin admin = KafkaAdmins.connect(options.bootstrap())) {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(20, TimeUnit.SECONDS).get(topic);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            description.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()),
                    OffsetSpec.latest()));
            Map<TopicPartition, Long> end = new HashMap<>();
            admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                    .get(20, TimeUnit.SECONDS).forEach((partition, info) -> end.put(partition, info.offset()));
            return new BoundedRun(options.bootstrap(), options.groupId(), end);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new IllegalArgumentException("--bounded: the frames topic '" + topic + "' does not exist at "
                        + options.bootstrap(), e);
            }
            throw new IllegalStateException("--bounded: cannot read the end of '" + topic + "' at "
                    + options.bootstrap() + ": " + e.getCause().getMessage(), e);
        } catch (Exception e) {
            throw new IllegalStateException("--bounded: cannot read the end of '" + topic + "' at "
                    + options.bootstrap() + ": " + e, e);
        }
    }

    /** The source's stopping offsets: this end, so that what the run reads is what {@link #commit} commits. */
    OffsetsInitializer stoppingOffsets() {
        return OffsetsInitializer.offsets(end);
    }

    /** Commits the end for the group; call it only after the run succeeded, so every frame up to it was predicted. */
    public void commit() throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        end.forEach((partition, offset) -> offsets.put(partition, new OffsetAndMetadata(offset)));
        try (Admin admin = KafkaAdmins.connect(bootstrap)) {
            admin.alterConsumerGroupOffsets(groupId, offsets).all().get(20, TimeUnit.SECONDS);
        }
    }
}
