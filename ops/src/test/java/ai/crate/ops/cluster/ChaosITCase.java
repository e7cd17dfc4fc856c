package ai.crate.ops.cluster;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills things on a real multi-process cluster (3 KRaft brokers with replication 3 and {@code min.insync.replicas=2},
 * a Flink session cluster of 2 TaskManagers with 2 slots each) while {@code InferenceJob} runs exactly-once with
 * parallelism 2, and checks the committed output holds every frame exactly once. Each test prints one line with frames
 * in, out, lost, duplicated and the recovery time (the longest pause in predictions after the fault).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosITCase {
    private static final int FRAMES = 600;
    private static final double RATE = 30;
    private static ClusterState cluster;
    private static Path directory;

    @BeforeAll
    static void up() throws Exception {
        directory = Files.createTempDirectory("crate-chaos-");
        cluster = LocalCluster.up(new LocalCluster.Spec(directory, 3, 2, 2), System.out::println);
    }

    @AfterAll
    static void down() throws Exception {
        LocalCluster.down(directory);
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(List::of)
                .map(a -> a.contains("-Dcrate.cluster=" + directory.toAbsolutePath().normalize())).orElse(false)))
                .as("no cluster process left").isEmpty();
    }

    @Test
    @Order(1)
    void killingATaskManagerMidStreamLosesAndDuplicatesNothing() throws Exception {
        try (ChaosStream stream = new ChaosStream(cluster, "chaos-tm-kill")) {
            stream.send(FRAMES, RATE);
            awaitSent(stream, FRAMES / 3);
            ClusterProcess victim = hostOf(stream);
            long fault = System.currentTimeMillis();
            LocalCluster.kill(victim);
            stream.awaitSent();
            ChaosStream.Outcome outcome = stream.collect(FRAMES, Duration.ofMinutes(3));
            System.out.println(outcome.line("kill -9 of " + victim.name() + ", which ran a subtask", fault));
            cluster = LocalCluster.restart(cluster, victim);
            assertExactlyOnce(outcome);
        }
        awaitTaskManagers(2);
    }

    @Test
    @Order(2)
    void killingABrokerAndRestartingItLosesAndDuplicatesNothing() throws Exception {
        try (ChaosStream stream = new ChaosStream(cluster, "chaos-broker-kill")) {
            stream.send(FRAMES, RATE);
            awaitSent(stream, FRAMES / 3);
            ClusterProcess victim = cluster.role("kafka").get(1);
            long fault = System.currentTimeMillis();
            LocalCluster.kill(victim);
            Thread.sleep(8000);
            cluster = LocalCluster.restart(cluster, victim);
            stream.awaitSent();
            ChaosStream.Outcome outcome = stream.collect(FRAMES, Duration.ofMinutes(3));
            System.out.println(outcome.line("broker kill -9 then restart", fault));
            assertExactlyOnce(outcome);
        }
    }

    @Test
    @Order(3)
    void aTaskManagerPausedBeyondTheHeartbeatTimeoutIsReplacedAndRejoins() throws Exception {
        ClusterProcess paused;
        try (ChaosStream stream = new ChaosStream(cluster, "chaos-tm-pause")) {
            stream.send(FRAMES, RATE);
            awaitSent(stream, FRAMES / 3);
            paused = hostOf(stream);
            long fault = System.currentTimeMillis();
            LocalCluster.signal(paused, "STOP");
            Thread.sleep(15_000);
            LocalCluster.signal(paused, "CONT");
            stream.awaitSent();
            ChaosStream.Outcome outcome = stream.collect(FRAMES, Duration.ofMinutes(3));
            System.out.println(outcome.line("SIGSTOP of " + paused.name() + " for 15 s (heartbeat timeout 10 s)",
                    fault));
            assertExactlyOnce(outcome);
        }
        restartIfItShutItselfDown(paused);
        awaitTaskManagers(2);
    }

    /**
     * Flink may shut a resumed TaskManager down when its superseded tasks fail to close their fenced transactional
     * producers. A supervisor (Kubernetes, systemd) would start it again; so does the test, once the heartbeat
     * timeout has passed and the TaskManager's fate is settled, saying so.
     */
    private static void restartIfItShutItselfDown(ClusterProcess victim) throws Exception {
        Thread.sleep(12_000);
        if (!victim.alive()) {
            System.out.println("chaos: " + victim.name() + " shut itself down after resuming (see " + victim.log()
                    + "); restarted as its supervisor would");
            cluster = LocalCluster.restart(cluster, victim);
        }
    }

    @Test
    @Order(4)
    void overloadAtThreeTimesCapacityBuildsBoundedLagAndBackPressureWithoutLossOrOutOfMemory() throws Exception {
        try (ChaosStream stream = new ChaosStream(cluster, "chaos-overload")) {
            FlinkRest rest = new FlinkRest(cluster.restUrl());
            int probe = 600;
            stream.send(0, probe, 0);
            stream.awaitSent();
            ChaosStream.Outcome probed = stream.collect(probe, Duration.ofMinutes(2));
            double capacity = probed.servedPerSecond();
            double offered = 3 * capacity;
            int frames = (int) (offered * 15);
            stream.send(probe, frames, offered);
            boolean pressureSeen = false;
            List<Double> heap = new ArrayList<>();
            List<Integer> lag = new ArrayList<>();
            while (stream.sent() < probe + frames) {
                Map<String, String> levels = rest.backPressure(stream.jobId);
                pressureSeen |= levels.values().stream().anyMatch(l -> l.equals("high") || l.equals("low"));
                heap.add(max(rest.taskManagerMetric("Status.JVM.Memory.Heap.Used").values()));
                lag.add(stream.sent() - stream.committed());
                Thread.sleep(2000);
            }
            stream.awaitSent();
            ChaosStream.Outcome outcome = stream.collect(probe + frames, Duration.ofMinutes(5));
            double maxHeap = heap.stream().mapToDouble(Double::doubleValue).max().orElse(0);
            System.out.printf("chaos overload: capacity_per_s=%.0f offered_per_s=%.0f frames_in=%d frames_out=%d lost=%d"
                            + " duplicated=%d lag_samples=%s back_pressure=%s max_taskmanager_heap_mb=%.0f%n", capacity,
                    offered, probe + frames, outcome.framesOut(), outcome.lost(), outcome.duplicated(), lag,
                    pressureSeen ? "seen" : "not seen", maxHeap / 1e6);
            assertExactlyOnce(outcome);
            assertThat(pressureSeen).as("back pressure reported by Flink's REST API").isTrue();
            assertThat(lag.stream().mapToInt(Integer::intValue).max().orElse(0)).as("lag stays within what was sent")
                    .isLessThanOrEqualTo(probe + frames);
            assertThat(maxHeap).as("TaskManager heap under its 640 MB").isLessThan(600e6);
            assertThat(cluster.role("taskmanager")).allSatisfy(tm -> {
                assertThat(tm.alive()).as(tm.name() + " alive (see " + tm.log() + ")").isTrue();
                assertThat(Files.readString(tm.log())).doesNotContain("OutOfMemoryError");
            });
        }
    }

    @Test
    @Order(5)
    void aSoakKeepsLiveHeapAndThreadsFlat() throws Exception {
        Duration soak = Duration.ofSeconds(Long.getLong("crate.soak.seconds", 120));
        Duration warmUp = Duration.ofSeconds(30);
        try (ChaosStream stream = new ChaosStream(cluster, "chaos-soak")) {
            int frames = (int) (soak.toSeconds() * RATE);
            stream.send(frames, RATE);
            long start = System.nanoTime();
            FlinkRest rest = new FlinkRest(cluster.restUrl());
            Map<String, Long> earlyHeap = null;
            Map<String, Long> lateHeap = null;
            List<Double> threads = new ArrayList<>();
            while (stream.sent() < frames) {
                Thread.sleep(5000);
                if (System.nanoTime() - start > warmUp.toNanos()) {
                    if (earlyHeap == null) {
                        earlyHeap = liveHeapOfTaskManagers();
                    } else if (stream.sent() > frames - 5 * RATE) {
                        lateHeap = liveHeapOfTaskManagers();
                    }
                    threads.add(max(rest.taskManagerMetric("Status.JVM.Threads.Count").values()));
                }
            }
            stream.awaitSent();
            ChaosStream.Outcome outcome = stream.collect(frames, Duration.ofMinutes(3));
            assertThat(earlyHeap).as("live heap measured after the %d s warm-up", warmUp.toSeconds()).isNotNull();
            assertThat(lateHeap).as("live heap measured in the last 5 s of sending").isNotNull();
            int quarter = Math.max(1, threads.size() / 4);
            double earlyThreads = max(threads.subList(0, quarter));
            double lateThreads = max(threads.subList(threads.size() - quarter, threads.size()));
            System.out.printf("chaos soak %d s (after %d s of warm-up): frames_in=%d frames_out=%d lost=%d duplicated=%d"
                            + " live_heap_mb after warm-up %s at the end %s, threads first quarter %.0f last quarter"
                            + " %.0f, thread samples %s%n", soak.toSeconds(), warmUp.toSeconds(), frames,
                    outcome.framesOut(), outcome.lost(), outcome.duplicated(), megabytes(earlyHeap),
                    megabytes(lateHeap), earlyThreads, lateThreads, threads);
            assertExactlyOnce(outcome);
            for (Map.Entry<String, Long> early : earlyHeap.entrySet()) {
                assertThat(lateHeap.get(early.getKey())).as("live heap of %s at the end against after the warm-up",
                        early.getKey()).isLessThan((long) (early.getValue() * 1.25 + 32e6));
            }
            assertThat(lateThreads).as("threads in the last quarter against the first").isLessThanOrEqualTo(
                    earlyThreads + 4);
        }
    }

    private static Map<String, Long> liveHeapOfTaskManagers() throws Exception {
        Map<String, Long> live = new java.util.TreeMap<>();
        for (ClusterProcess tm : cluster.role("taskmanager")) {
            live.put(tm.name(), LiveHeap.afterFullCollection(tm.pid()));
        }
        return live;
    }

    private static Map<String, Long> megabytes(Map<String, Long> bytes) {
        Map<String, Long> mb = new java.util.TreeMap<>();
        bytes.forEach((name, value) -> mb.put(name, value / 1_000_000));
        return mb;
    }

    private static ClusterProcess hostOf(ChaosStream stream) throws Exception {
        java.util.Set<String> hosts = new FlinkRest(cluster.restUrl()).taskManagersOf(stream.jobId);
        return cluster.role("taskmanager").stream().filter(tm -> hosts.contains(tm.name())).findFirst()
                .orElseThrow(() -> new AssertionError("no TaskManager process for " + hosts));
    }

    private static void assertExactlyOnce(ChaosStream.Outcome outcome) {
        assertThat(outcome.lost()).as("frames lost").isZero();
        assertThat(outcome.duplicated()).as("frames duplicated in committed output").isZero();
    }

    private static void awaitSent(ChaosStream stream, int count) throws InterruptedException {
        while (stream.sent() < count) {
            Thread.sleep(100);
        }
    }

    private static void awaitTaskManagers(int count) throws Exception {
        FlinkRest rest = new FlinkRest(cluster.restUrl());
        long deadline = System.currentTimeMillis() + 90_000;
        while (rest.overview().path("taskmanagers").asInt() != count) {
            assertThat(System.currentTimeMillis()).as("TaskManagers back to " + count).isLessThan(deadline);
            Thread.sleep(500);
        }
    }

    private static double max(Collection<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }
}
