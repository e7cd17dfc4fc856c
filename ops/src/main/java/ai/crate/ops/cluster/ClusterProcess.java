package ai.crate.ops.cluster;

import java.nio.file.Path;
import java.util.Optional;

/**
 * One JVM of the cluster: its role ({@code kafka}, {@code jobmanager}, {@code taskmanager}), index, process id, the
 * port clients use (Kafka's client port, Flink's REST port; 0 for task managers), its log file and the command line
 * that started it (for restarts).
 */
public record ClusterProcess(String role, int index, long pid, int port, Path log, java.util.List<String> command) {

    public String name() {
        return role + "-" + index;
    }

    public Optional<ProcessHandle> handle() {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    }

    public boolean alive() {
        return handle().isPresent();
    }

    /** This process restarted as {@code pid}. */
    public ClusterProcess withPid(long newPid) {
        return new ClusterProcess(role, index, newPid, port, log, command);
    }
}
