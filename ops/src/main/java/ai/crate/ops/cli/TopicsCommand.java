package ai.crate.ops.cli;

import ai.crate.ingest.broker.PipelineTopics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** {@code crate topics}: creates the pipeline's topics on a Kafka cluster, with their partitions and settings. */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "Create the pipeline's topics (frames, predictions, sparse-codes, …) on a Kafka cluster with"
                + " their partitions, retention and sizes; topics that exist are left as they are.")
final class TopicsCommand implements Callable<Integer> {
    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT", description = "The Kafka cluster.")
    String bootstrap;

    @Option(names = "--replication", defaultValue = "3", description = "Replicas per partition (default: ${DEFAULT-VALUE}).")
    short replication;

    @Override
    public Integer call() throws Exception {
        if (replication < 1) {
            throw new IllegalArgumentException("--replication must be >= 1, got " + replication);
        }
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            for (NewTopic topic : PipelineTopics.all(replication)) {
                try {
                    admin.createTopics(java.util.List.of(topic)).all().get(60, TimeUnit.SECONDS);
                    System.out.printf("created %s (%d partitions, %d replicas)%n", topic.name(),
                            topic.numPartitions(), topic.replicationFactor());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException(bootstrap + ": cannot create " + topic.name() + ": "
                                + e.getCause().getMessage());
                    }
                    System.out.printf("exists  %s%n", topic.name());
                }
            }
        }
        return 0;
    }
}
