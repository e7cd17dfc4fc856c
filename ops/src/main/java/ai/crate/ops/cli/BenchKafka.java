package ai.crate.ops.cli;

import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Kafka that {@code bench --pipeline} runs on: a broker embedded in the bench's own process, or a cluster given
 * with {@code --bootstrap}. Topics are created through {@link #createTopics} (one partition, replicated up to 3 times
 * on a cluster) and deleted again on {@link #close}, so a run leaves nothing on a real cluster.
 */
final class BenchKafka implements AutoCloseable {
    private static final int TIMEOUT_SECONDS = 60;
    private static final int REACH_TIMEOUT_MS = 10_000;
    private final String bootstrap;
    private final EmbeddedKafkaBroker embedded;
    private final Admin admin;
    private final List<String> created = new ArrayList<>();

    private BenchKafka(String bootstrap, EmbeddedKafkaBroker embedded) {
        this.bootstrap = bootstrap;
        this.embedded = embedded;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    /** A single-node broker in this process, its log under {@code directory}. */
    static BenchKafka embedded(Path directory) throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, directory);
        try {
            return new BenchKafka(broker.bootstrap(), broker);
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    /** A running cluster; fails with the address when it cannot be reached. */
    static BenchKafka external(String bootstrap) throws Exception {
        BenchKafka kafka = new BenchKafka(bootstrap, null);
        try {
            kafka.admin.describeCluster(new DescribeClusterOptions().timeoutMs(REACH_TIMEOUT_MS)).nodes()
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return kafka;
        } catch (ExecutionException | TimeoutException e) {
            kafka.close();
            throw new IllegalStateException("--bootstrap " + bootstrap + ": no Kafka cluster answers there ("
                    + (e.getCause() != null ? e.getCause().getMessage() : "timed out") + ")");
        }
    }

    String bootstrap() {
        return bootstrap;
    }

    /** Creates {@code names}, one partition each; a name that exists already is an error (it would mix runs). */
    void createTopics(List<String> names) throws Exception {
        int nodes = admin.describeCluster().nodes().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).size();
        short replication = (short) Math.min(3, nodes);
        List<NewTopic> topics = names.stream().map(name -> new NewTopic(name, 1, replication)).toList();
        try {
            admin.createTopics(topics).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(bootstrap + ": cannot create the bench's topics " + names + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
        created.addAll(names);
    }

    /** Deletes the topics this run created, then stops an embedded broker. */
    @Override
    public void close() {
        try {
            if (!created.isEmpty() && embedded == null) {
                admin.deleteTopics(created).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            System.err.println("bench pipeline: could not delete the bench's topics " + created + " on " + bootstrap
                    + ": " + e.getMessage());
        } finally {
            admin.close();
            if (embedded != null) {
                embedded.close();
            }
        }
    }
}
