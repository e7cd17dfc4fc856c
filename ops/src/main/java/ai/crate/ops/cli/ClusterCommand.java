package ai.crate.ops.cli;

import ai.crate.ops.cluster.ClusterProcess;
import ai.crate.ops.cluster.ClusterState;
import ai.crate.ops.cluster.FlinkRest;
import ai.crate.ops.cluster.LocalCluster;
import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code crate cluster up|submit|status|down}: a local multi-process Kafka and Flink cluster. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "A local multi-process cluster: a KRaft Kafka cluster and a Flink standalone session cluster,"
                + " each node its own JVM, logs and data under --dir.",
        subcommands = {ClusterCommand.Up.class, ClusterCommand.Submit.class, ClusterCommand.Status.class,
                ClusterCommand.Down.class})
final class ClusterCommand implements Runnable {
    static final String DEFAULT_DIR = "cluster";
    /** Job options naming local files: made absolute, since the cluster's processes run elsewhere. */
    static final java.util.Set<String> PATH_OPTIONS = java.util.Set.of("--model-uri", "--trusted-keys", "--registry",
            "--signing-key", "--bundle-dir");

    @Override
    public void run() {
        throw new IllegalArgumentException("give a subcommand: up, submit, status or down");
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Start the cluster and wait until every node has joined.")
    static final class Up implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = DEFAULT_DIR, description = "Logs, data, checkpoints (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--brokers", defaultValue = "3", description = "Kafka nodes (default: ${DEFAULT-VALUE}).")
        int brokers;

        @Option(names = "--taskmanagers", defaultValue = "2", description = "Flink TaskManagers (default: ${DEFAULT-VALUE}).")
        int taskManagers;

        @Option(names = "--slots", defaultValue = "2", description = "Slots per TaskManager (default: ${DEFAULT-VALUE}).")
        int slots;

        @Override
        public Integer call() throws Exception {
            ClusterState state = LocalCluster.up(new LocalCluster.Spec(dir, brokers, taskManagers, slots),
                    System.err::println);
            System.out.println("bootstrap=" + state.bootstrap());
            System.out.println("rest=" + state.restUrl());
            System.out.println("dir=" + state.directory());
            return 0;
        }
    }

    @Command(name = "submit", mixinStandardHelpOptions = true,
            description = {"Submit a job of the jobs jar through Flink's REST API (upload, run).",
                    "Job options follow --, e.g. -- --model-uri ops/demo/crate-shapes --delivery exactly-once;"
                            + " --bootstrap is the cluster's unless given; local paths are made absolute."})
    static final class Submit implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = DEFAULT_DIR, description = "The cluster (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--job", defaultValue = "inference", paramLabel = "inference|fine-tune",
                description = "Which job (default: ${DEFAULT-VALUE}).")
        String job;

        @Option(names = "--jar", description = "The jobs jar (default: flink-jobs/target/…-job.jar).")
        Path jar;

        @Option(names = "--parallelism", defaultValue = "2", description = "Job parallelism (default: ${DEFAULT-VALUE}).")
        int parallelism;

        @Parameters(paramLabel = "JOB-OPTIONS", description = "Options passed to the job.")
        List<String> jobOptions = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            ClusterState state = ClusterState.read(dir.toAbsolutePath().normalize());
            Path jobsJar = jar != null ? jar : DemoFiles.jobsJar();
            if (!Files.isRegularFile(jobsJar)) {
                throw new IOException(jobsJar + ": no jobs jar; build it with `mvn -q package -pl flink-jobs -am"
                        + " -DskipTests` or give --jar");
            }
            String entry = switch (job) {
                case "inference" -> "ai.crate.flink.InferenceJob";
                case "fine-tune" -> "ai.crate.flink.FineTuneJob";
                default -> throw new IllegalArgumentException("--job must be inference or fine-tune, got " + job);
            };
            List<String> args = new ArrayList<>(jobOptions);
            for (int i = 0; i + 1 < args.size(); i++) {
                if (PATH_OPTIONS.contains(args.get(i)) && Files.exists(Path.of(args.get(i + 1)))) {
                    args.set(i + 1, Path.of(args.get(i + 1)).toAbsolutePath().normalize().toString());
                }
            }
            if (!args.contains("--bootstrap")) {
                args.addAll(List.of("--bootstrap", state.bootstrap()));
            }
            if (job.equals("inference") && !args.contains("--parallelism")) {
                args.addAll(List.of("--parallelism", Integer.toString(parallelism)));
            }
            String jobId = new FlinkRest(state.restUrl()).submit(jobsJar, entry, args, parallelism);
            System.out.println("job=" + jobId);
            System.out.println("web=" + state.restUrl() + "/#/job/running/" + jobId + "/overview");
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Processes, TaskManagers and jobs.")
    static final class Status implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = DEFAULT_DIR, description = "The cluster (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Override
        public Integer call() throws Exception {
            ClusterState state = ClusterState.read(dir.toAbsolutePath().normalize());
            int down = 0;
            for (ClusterProcess process : state.processes()) {
                boolean alive = process.alive();
                down += alive ? 0 : 1;
                System.out.printf("%-14s pid %-8d %-5s %s%n", process.name(), process.pid(), alive ? "up" : "DOWN",
                        process.port() > 0 ? "port " + process.port() : "");
            }
            System.out.println("bootstrap=" + state.bootstrap());
            try {
                FlinkRest rest = new FlinkRest(state.restUrl());
                JsonNode overview = rest.overview();
                System.out.printf("flink: %d TaskManagers, %d/%d slots free, %d jobs running%n",
                        overview.path("taskmanagers").asInt(), overview.path("slots-available").asInt(),
                        overview.path("slots-total").asInt(), overview.path("jobs-running").asInt());
                for (JsonNode job : rest.jobs().path("jobs")) {
                    System.out.printf("job %s %s %s%n", job.path("jid").asText(), job.path("state").asText(),
                            job.path("name").asText());
                }
            } catch (IOException e) {
                System.out.println("flink: REST API not answering (" + e.getMessage() + ")");
                down++;
            }
            return down == 0 ? 0 : 1;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, description = "Stop every process of the cluster.")
    static final class Down implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = DEFAULT_DIR, description = "The cluster (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Override
        public Integer call() throws Exception {
            List<String> stopped = LocalCluster.down(dir);
            System.out.println("stopped " + stopped.size() + " processes" + (stopped.isEmpty() ? "" : " " + stopped));
            return 0;
        }
    }
}
