package ai.crate.ops.cluster;

import ai.crate.ingest.broker.PipelineTopics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Starts and stops a local multi-process cluster: {@code brokers} KRaft Kafka nodes (each broker and controller,
 * replication up to 3, {@code min.insync.replicas} up to 2, transaction protocol version 1 as the Flink connector
 * needs) and a Flink standalone session cluster (one JobManager with the REST API and web submission, {@code
 * taskManagers} TaskManagers), every node its own JVM, marked {@code -Dcrate.cluster=DIR} so {@link #down} finds all
 * of them. Logs, data, checkpoints and {@value ClusterState#FILE} live under the directory.
 */
public final class LocalCluster {
    private static final String MARKER = "-Dcrate.cluster=";
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    /** How many times Flink is started when another process takes its port first. */
    private static final int FLINK_ATTEMPTS = 3;

    private LocalCluster() {
    }

    /** How big a cluster to start, and where. */
    public record Spec(Path directory, int brokers, int taskManagers, int slotsPerTaskManager) {
        public Spec {
            if (brokers < 1 || taskManagers < 1 || slotsPerTaskManager < 1) {
                throw new IllegalArgumentException("--brokers, --taskmanagers and --slots must be >= 1");
            }
            directory = directory.toAbsolutePath().normalize();
        }

        short replication() {
            return (short) Math.min(3, brokers);
        }
    }

    /** Starts the cluster and waits until every broker and TaskManager has joined; {@code progress} hears each step. */
    public static ClusterState up(Spec spec, Consumer<String> progress) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(spec.directory());
        if (Files.exists(dir.resolve(ClusterState.FILE))) {
            ClusterState old = ClusterState.read(dir);
            if (old.processes().stream().anyMatch(ClusterProcess::alive)) {
                throw new IllegalStateException(dir + ": a cluster is already running there; `bin/crate cluster down"
                        + " --dir " + dir + "` first");
            }
        }
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin",
                "java").toString());
        String ownClasspath = System.getProperty("java.class.path");
        List<ClusterProcess> processes = new ArrayList<>();
        try {
            List<Integer> clientPorts = freePorts(spec.brokers());
            List<Integer> controllerPorts = freePorts(spec.brokers());
            StringBuilder voters = new StringBuilder();
            for (int i = 0; i < spec.brokers(); i++) {
                voters.append(i == 0 ? "" : ",").append(i + 1).append("@127.0.0.1:").append(controllerPorts.get(i));
            }
            String clusterId = Uuid.randomUuid().toString();
            for (int i = 0; i < spec.brokers(); i++) {
                Path node = Files.createDirectories(dir.resolve("kafka-" + (i + 1)));
                Path properties = node.resolve("server.properties");
                Files.writeString(properties, KafkaNodeConfig.properties(i + 1, clientPorts.get(i),
                        controllerPorts.get(i), voters.toString(), node.resolve("data"), spec.replication()));
                if (!Files.exists(node.resolve("data").resolve("meta.properties"))) {
                    format(java, ownClasspath, clusterId, properties, node.resolve("format.log"));
                }
                List<String> command = List.of(java, "-Xmx512m", "-Xms128m", MARKER + dir, "-cp", ownClasspath,
                        "kafka.Kafka", properties.toString());
                processes.add(start("kafka", i + 1, clientPorts.get(i), command, node.resolve("server.log")));
            }
            progress.accept("started " + spec.brokers() + " Kafka nodes");
            String flinkClasspath = FlinkClasspath.resolve(dir);
            FlinkStart flink = startFlink(java, flinkClasspath, dir, spec);
            processes.addAll(flink.processes());
            progress.accept("started a Flink JobManager and " + spec.taskManagers() + " TaskManagers");
            String bootstrap = String.join(",", clientPorts.stream().map(p -> "127.0.0.1:" + p).toList());
            ClusterState state = new ClusterState(dir, bootstrap, flink.restUrl(), processes);
            state.write();
            awaitKafka(state, spec);
            progress.accept("Kafka ready: " + spec.brokers() + " brokers at " + bootstrap
                    + ", pipeline topics with replication " + spec.replication());
            for (int attempt = 1; ; attempt++) {
                try {
                    awaitFlink(state, new FlinkRest(state.restUrl()), spec.taskManagers());
                    break;
                } catch (IOException e) {
                    if (attempt == FLINK_ATTEMPTS || !String.valueOf(e.getMessage()).contains("BindException")) {
                        throw e;
                    }
                    progress.accept("another process took a Flink port before the JobManager bound it; starting"
                            + " Flink again on other ports");
                    for (ClusterProcess process : flink.processes()) {
                        process.handle().ifPresent(ProcessHandle::destroyForcibly);
                        processes.remove(process);
                    }
                    flink = startFlink(java, flinkClasspath, dir, spec);
                    processes.addAll(flink.processes());
                    state = new ClusterState(dir, bootstrap, flink.restUrl(), processes);
                    state.write();
                }
            }
            progress.accept("Flink ready: " + spec.taskManagers() + " TaskManagers, "
                    + spec.taskManagers() * spec.slotsPerTaskManager() + " slots, REST and web UI at "
                    + state.restUrl());
            return state;
        } catch (IOException | InterruptedException | RuntimeException e) {
            processes.forEach(p -> p.handle().ifPresent(ProcessHandle::destroyForcibly));
            throw e;
        }
    }

    /** Stops every process of the cluster in {@code directory}: politely, then by force after 20 s. */
    public static List<String> down(Path directory) throws IOException, InterruptedException {
        Path dir = directory.toAbsolutePath().normalize();
        List<ProcessHandle> running = new ArrayList<>();
        if (Files.exists(dir.resolve(ClusterState.FILE))) {
            ClusterState.read(dir).processes().forEach(p -> p.handle().ifPresent(running::add));
        }
        ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(args -> List.of(args)
                .contains(MARKER + dir)).orElse(false)).filter(p -> !running.contains(p)).forEach(running::add);
        List<String> stopped = new ArrayList<>();
        running.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (ProcessHandle process : running) {
            while (process.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            if (process.isAlive()) {
                process.destroyForcibly();
                process.onExit().join();
            }
            stopped.add(Long.toString(process.pid()));
        }
        return stopped;
    }

    /** {@code kill -9}. */
    public static void kill(ClusterProcess process) {
        process.handle().ifPresent(handle -> {
            handle.destroyForcibly();
            handle.onExit().join();
        });
    }

    /** Sends {@code signal} ({@code STOP}, {@code CONT}) to the process. */
    public static void signal(ClusterProcess process, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    /** Starts {@code process} again with its command line, appending to its log; returns and records the new one. */
    public static ClusterState restart(ClusterState state, ClusterProcess process) throws IOException {
        ClusterProcess restarted = start(process.role(), process.index(), process.port(), process.command(),
                process.log());
        ClusterState updated = state.with(restarted);
        updated.write();
        return updated;
    }

    private static ClusterProcess start(String role, int index, int port, List<String> command, Path log)
            throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return new ClusterProcess(role, index, process.pid(), port, log, command);
    }

    private static void format(String java, String classpath, String clusterId, Path properties, Path log)
            throws IOException, InterruptedException {
        Process format = new ProcessBuilder(java, "-cp", classpath, "kafka.tools.StorageTool", "format", "-t",
                clusterId, "-c", properties.toString(), "--feature", "transaction.version=1").redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!format.waitFor(2, TimeUnit.MINUTES) || format.exitValue() != 0) {
            format.destroyForcibly();
            throw new IOException("formatting Kafka storage for " + properties + " failed: "
                    + Files.readString(log).strip());
        }
    }

    /** A started JobManager and its TaskManagers, and the JobManager's REST address. */
    private record FlinkStart(List<ClusterProcess> processes, String restUrl) {
    }

    /**
     * Writes Flink's configuration with two free ports (RPC and REST) and starts the JobManager and the TaskManagers.
     * The ports are free when chosen; another process can still take one before the JobManager binds it.
     */
    private static FlinkStart startFlink(String java, String flinkClasspath, Path dir, Spec spec) throws IOException {
        Path conf = Files.createDirectories(dir.resolve("flink").resolve("conf"));
        List<Integer> flinkPorts = freePorts(2);
        Files.writeString(conf.resolve("config.yaml"), FlinkConfig.yaml(flinkPorts.get(0), flinkPorts.get(1),
                spec.slotsPerTaskManager(), dir.resolve("flink")));
        List<ClusterProcess> processes = new ArrayList<>();
        List<String> jobManager = new ArrayList<>(List.of(java, MARKER + dir));
        jobManager.addAll(FlinkConfig.jobManagerJvm());
        jobManager.addAll(List.of("-cp", flinkClasspath,
                "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", "--configDir",
                conf.toString()));
        processes.add(start("jobmanager", 1, flinkPorts.get(1), jobManager,
                dir.resolve("flink").resolve("jobmanager.log")));
        for (int i = 1; i <= spec.taskManagers(); i++) {
            List<String> command = new ArrayList<>(List.of(java, MARKER + dir));
            command.addAll(FlinkConfig.taskManagerJvm());
            command.addAll(List.of("-cp", flinkClasspath,
                    "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "--configDir", conf.toString()));
            command.addAll(FlinkConfig.taskManagerResources(i, spec.slotsPerTaskManager()));
            processes.add(start("taskmanager", i, 0, command,
                    dir.resolve("flink").resolve("taskmanager-" + i + ".log")));
        }
        return new FlinkStart(processes, "http://127.0.0.1:" + flinkPorts.get(1));
    }

    private static void awaitKafka(ClusterState state, Spec spec) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, state.bootstrap(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                10_000))) {
            while (true) {
                requireAlive(state, "kafka");
                try {
                    if (admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() == spec.brokers()) {
                        break;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("Kafka did not form a cluster of " + spec.brokers() + " within "
                                + READY_TIMEOUT.toSeconds() + " s (logs under " + state.directory() + "/kafka-*)");
                    }
                }
                Thread.sleep(500);
            }
            List<NewTopic> topics = PipelineTopics.all(spec.replication());
            try {
                admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                    throw new IOException("creating the pipeline topics failed: " + e.getMessage(), e);
                }
            }
        }
    }

    private static void awaitFlink(ClusterState state, FlinkRest rest, int taskManagers)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            requireAlive(state, "jobmanager");
            requireAlive(state, "taskmanager");
            try {
                if (rest.overview().path("taskmanagers").asInt() == taskManagers) {
                    return;
                }
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("Flink's REST API at " + state.restUrl() + " did not answer within "
                            + READY_TIMEOUT.toSeconds() + " s: " + e.getMessage());
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("only " + rest.overview().path("taskmanagers").asInt() + " of " + taskManagers
                        + " TaskManagers joined within " + READY_TIMEOUT.toSeconds() + " s (logs under "
                        + state.directory() + "/flink)");
            }
            Thread.sleep(500);
        }
    }

    private static void requireAlive(ClusterState state, String role) throws IOException {
        for (ClusterProcess process : state.role(role)) {
            if (!process.alive()) {
                String tail;
                try {
                    List<String> lines = Files.readAllLines(process.log());
                    tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
                } catch (IOException | UncheckedIOException e) {
                    tail = "(no log)";
                }
                throw new IOException(process.name() + " exited during start-up; the end of " + process.log() + ":\n"
                        + tail);
            }
        }
    }

    private static List<Integer> freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0);
                socket.setReuseAddress(true);
                sockets.add(socket);
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }
}
