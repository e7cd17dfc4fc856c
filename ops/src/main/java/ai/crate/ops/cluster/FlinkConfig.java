package ai.crate.ops.cluster;

import java.nio.file.Path;
import java.util.List;

/**
 * The Flink session cluster's {@code config.yaml} and the TaskManager resources that Flink's start scripts would
 * compute: everything bound to 127.0.0.1, fast heartbeats (2 s, 10 s timeout) so failures are noticed quickly,
 * restarts with a fixed delay, slots spread evenly over TaskManagers, checkpoints and uploaded jars under the cluster directory, the Prometheus reporter on
 * ports 9250-9269.
 */
final class FlinkConfig {
    private static final String TASK_HEAP = "512m";
    private static final String FRAMEWORK_HEAP = "128m";
    private static final String FRAMEWORK_OFF_HEAP = "128m";
    private static final String TASK_OFF_HEAP = "256m";
    private static final String NETWORK = "64m";
    private static final String MANAGED = "64m";
    private static final String METASPACE = "256m";
    private static final String OVERHEAD = "192m";

    private FlinkConfig() {
    }

    static String yaml(int rpcPort, int restPort, int slots, Path flinkDirectory) {
        return String.join("\n",
                "jobmanager.rpc.address: 127.0.0.1",
                "jobmanager.rpc.port: " + rpcPort,
                "jobmanager.bind-host: 127.0.0.1",
                "jobmanager.memory.process.size: 1024m",
                "rest.address: 127.0.0.1",
                "rest.bind-address: 127.0.0.1",
                "rest.port: " + restPort,
                "taskmanager.bind-host: 127.0.0.1",
                "taskmanager.host: 127.0.0.1",
                "taskmanager.numberOfTaskSlots: " + slots,
                "parallelism.default: 1",
                "cluster.evenly-spread-out-slots: true",
                "heartbeat.interval: 2000",
                "heartbeat.timeout: 10000",
                "restart-strategy.type: fixed-delay",
                "restart-strategy.fixed-delay.attempts: 1000",
                "restart-strategy.fixed-delay.delay: 2 s",
                "execution.checkpointing.dir: file://" + flinkDirectory.resolve("checkpoints"),
                "web.submit.enable: true",
                "web.upload.dir: " + flinkDirectory.resolve("uploads"),
                "metrics.reporter.prom.factory.class: org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
                "metrics.reporter.prom.port: 9250-9269",
                "");
    }

    /** The module openings Flink's start scripts give every Flink JVM ({@code env.java.default-opts.all}). */
    static final List<String> MODULE_OPENINGS = List.of(
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED", "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED", "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

    static List<String> jobManagerJvm() {
        List<String> flags = new java.util.ArrayList<>(List.of("-Xmx512m"));
        flags.addAll(MODULE_OPENINGS);
        return flags;
    }

    /** JVM flags matching {@link #taskManagerResources}: heap = framework + task heap, direct = off-heap + network. */
    static List<String> taskManagerJvm() {
        List<String> flags = new java.util.ArrayList<>(List.of("-Xmx640m", "-Xms640m", "-XX:MaxDirectMemorySize=448m",
                "-XX:MaxMetaspaceSize=" + METASPACE, "--add-modules=jdk.incubator.vector"));
        flags.addAll(MODULE_OPENINGS);
        return flags;
    }

    /** The resources of TaskManager {@code index}, whose resource id is {@code taskmanager-<index>}. */
    static List<String> taskManagerResources(int index, int slots) {
        return List.of("-D", "taskmanager.resource-id=taskmanager-" + index,
                "-D", "taskmanager.cpu.cores=" + slots,
                "-D", "taskmanager.memory.framework.heap.size=" + FRAMEWORK_HEAP,
                "-D", "taskmanager.memory.task.heap.size=" + TASK_HEAP,
                "-D", "taskmanager.memory.framework.off-heap.size=" + FRAMEWORK_OFF_HEAP,
                "-D", "taskmanager.memory.task.off-heap.size=" + TASK_OFF_HEAP,
                "-D", "taskmanager.memory.network.min=" + NETWORK,
                "-D", "taskmanager.memory.network.max=" + NETWORK,
                "-D", "taskmanager.memory.managed.size=" + MANAGED,
                "-D", "taskmanager.memory.jvm-metaspace.size=" + METASPACE,
                "-D", "taskmanager.memory.jvm-overhead.min=" + OVERHEAD,
                "-D", "taskmanager.memory.jvm-overhead.max=" + OVERHEAD);
    }
}
