package ai.crate.ingest.broker;

import ai.crate.ingest.IngestException;
import kafka.server.BrokerServer;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.raft.DynamicVoters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

/**
 * A real single-node KRaft Kafka (broker and controller in one process) running inside this JVM, listening on
 * 127.0.0.1. Start it with {@link #start(int, Path)}; port 0 picks a free port, {@link #bootstrap()} says which. A
 * data directory is formatted on first use and reused afterwards; without one, a temporary directory is used and
 * deleted on {@link #close()}. Kafka's fatal-error exits are turned into exceptions, so they cannot end this JVM.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    /** The Kafka feature holding the transaction protocol version. */
    public static final String TRANSACTION_VERSION = "transaction.version";
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String PLAINTEXT = "PLAINTEXT";
    private static final String CONTROLLER = "CONTROLLER";

    private static final String LOCK_FILE = ".crate-broker.lock";

    private final KafkaRaftServer server;
    private final FileChannel lock;
    private final Path dataDirectory;
    private final boolean temporary;
    private final String bootstrap;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, FileChannel lock, Path dataDirectory, boolean temporary,
                                int port) {
        this.server = server;
        this.lock = lock;
        this.dataDirectory = dataDirectory;
        this.temporary = temporary;
        this.bootstrap = "127.0.0.1:" + port;
    }

    /**
     * Starts a broker and waits until it accepts clients (a few seconds).
     *
     * @param port          the client port, 0 for any free one
     * @param dataDirectory where the log lives; null for a temporary directory removed on close
     * @throws IngestException if the port is taken, the directory is unusable or belongs to another cluster layout
     */
    public static EmbeddedKafkaBroker start(int port, Path dataDirectory) throws IngestException {
        if (port < 0 || port > 65535) {
            throw new IngestException("broker port must be between 0 and 65535, got " + port);
        }
        boolean temporary = dataDirectory == null;
        Path directory;
        try {
            directory = temporary ? Files.createTempDirectory("crate-kafka-")
                    : Files.createDirectories(dataDirectory).toAbsolutePath();
        } catch (IOException e) {
            throw new IngestException("cannot create the broker's data directory " + dataDirectory + ": "
                    + e.getMessage(), e);
        }
        FileChannel lock = lockDirectory(directory);
        try {
            return startLocked(port, directory, temporary, lock);
        } catch (IngestException | RuntimeException e) {
            closeQuietly(lock);
            throw e;
        }
    }

    /**
     * Takes this process's lock on the data directory before anything reads or writes it: a second broker on a
     * directory in use would otherwise rewrite files the first one has mapped.
     */
    private static FileChannel lockDirectory(Path directory) throws IngestException {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(directory.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            if (channel.tryLock() == null) {
                throw new IngestException("the broker data directory " + directory
                        + " is in use by another broker process; stop it or choose another --data-dir");
            }
            return channel;
        } catch (IOException | OverlappingFileLockException e) {
            closeQuietly(channel);
            throw new IngestException("the broker data directory " + directory + " is in use by another broker"
                    + " (" + e.getMessage() + "); stop it or choose another --data-dir", e);
        } catch (IngestException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("closing the data directory lock failed", e);
            }
        }
    }

    private static EmbeddedKafkaBroker startLocked(int port, Path directory, boolean temporary, FileChannel lock)
            throws IngestException {
        Exit.setExitProcedure((code, message) -> {
            throw new IllegalStateException("Kafka asked to exit with " + code + ": " + message);
        });
        Exit.setHaltProcedure((code, message) -> {
            throw new IllegalStateException("Kafka asked to halt with " + code + ": " + message);
        });
        KafkaConfig config;
        try {
            config = KafkaConfig.fromProps(properties(port, directory), false);
            formatOnce(config, directory);
        } catch (RuntimeException e) {
            throw new IngestException("cannot prepare the broker in " + directory + ": " + e.getMessage(), e);
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            server.shutdown();
            server.awaitShutdown();
            throw new IngestException("the broker did not start (port " + port + ", data " + directory + "): "
                    + e.getMessage(), e);
        }
        int bound = boundPort(server);
        LOG.info("Kafka broker ready on 127.0.0.1:{} with data in {}", bound, directory);
        return new EmbeddedKafkaBroker(server, lock, directory, temporary, bound);
    }

    private static Properties properties(int port, Path directory) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("listeners", PLAINTEXT + "://127.0.0.1:" + port + "," + CONTROLLER + "://127.0.0.1:0");
        p.put("advertised.listeners", PLAINTEXT + "://127.0.0.1:" + port);
        p.put("listener.security.protocol.map", PLAINTEXT + ":PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
        p.put("controller.listener.names", CONTROLLER);
        p.put("inter.broker.listener.name", PLAINTEXT);
        p.put("controller.quorum.bootstrap.servers", "127.0.0.1:0");
        p.put("log.dirs", directory.toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        p.put("message.max.bytes", Integer.toString(16 * 1024 * 1024 + 1024));
        p.put("replica.fetch.max.bytes", Integer.toString(16 * 1024 * 1024 + 1024));
        p.put("server.max.startup.time.ms", "60000");
        return p;
    }

    /**
     * Formats with transaction protocol version 1 rather than Kafka 4's default 2: the Flink Kafka connector
     * (5.0.0-2.2) cannot commit a checkpoint's transactions on recovery under version 2, which loses exactly-once
     * output at a failure (see README.md, Known issues).
     */
    private static void formatOnce(KafkaConfig config, Path directory) {
        if (Files.exists(directory.resolve("meta.properties"))) {
            return;
        }
        try {
            new Formatter()
                    .setPrintStream(System.err)
                    .setNodeId(config.nodeId())
                    .setClusterId(Uuid.randomUuid().toString())
                    .setControllerListenerName(config.controllerListenerNames().get(0))
                    .setMetadataLogDirectory(config.metadataLogDir())
                    .setDirectories(List.of(directory.toString()))
                    .setHasDynamicQuorum(true)
                    .setFeatureLevel(TRANSACTION_VERSION, (short) 1)
                    .setInitialControllers(DynamicVoters.parse(config.nodeId() + "@127.0.0.1:0:" + Uuid.randomUuid()))
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("formatting the storage failed: " + e.getMessage(), e);
        }
    }

    private static int boundPort(KafkaRaftServer server) throws IngestException {
        try {
            Field field = KafkaRaftServer.class.getDeclaredField("broker");
            field.setAccessible(true);
            BrokerServer broker = (BrokerServer) ((scala.Option<?>) field.get(server)).get();
            return broker.boundPort(ListenerName.normalised(PLAINTEXT));
        } catch (ReflectiveOperationException | RuntimeException e) {
            server.shutdown();
            server.awaitShutdown();
            throw new IngestException("the broker started but its port cannot be read: " + e.getMessage(), e);
        }
    }

    /** {@code host:port} for clients' {@code bootstrap.servers}. */
    public String bootstrap() {
        return bootstrap;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    /** Creates those of {@code topics} that do not exist yet; returns the names it created. */
    public Set<String> createTopics(List<NewTopic> topics) throws IngestException {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = topics.stream().filter(t -> !existing.contains(t.name())).toList();
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get();
            }
            return missing.stream().map(NewTopic::name).collect(java.util.stream.Collectors.toSet());
        } catch (ExecutionException e) {
            throw new IngestException("creating topics failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IngestException("interrupted while creating topics", e);
        }
    }

    /** Creates the pipeline's topics ({@link PipelineTopics}) that do not exist yet. */
    public Set<String> createPipelineTopics() throws IngestException {
        return createTopics(PipelineTopics.all((short) 1));
    }

    /** Shuts the broker down and waits for it; removes a temporary data directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        closeQuietly(lock);
        if (temporary) {
            deleteRecursively(dataDirectory);
        }
    }

    private static void deleteRecursively(Path directory) {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not remove the broker's temporary directory {}: {}", directory, e.getMessage());
        }
    }
}
