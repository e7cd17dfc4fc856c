package ai.crate.edge.spool;

import ai.crate.edge.EdgeTestKit;
import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The spool and its publisher against a real broker: records appended live through a 60-second broker outage all
 * reach Kafka once, in order per key; a writer killed with {@code kill -9} during an outage leaves a spool that a new
 * process replays completely, any duplicate identical to its original.
 */
class SpoolPublisherITCase {

    @Test
    void aSixtySecondOutageDuringLiveAppendsLosesAndDuplicatesNothing(@TempDir Path temp) throws Exception {
        int port = EdgeTestKit.freePort();
        Path data = temp.resolve("kafka");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(port, data);
        broker.createTopics(List.of(new NewTopic("predictions", 3, (short) 1)));
        AtomicBoolean appending = new AtomicBoolean(true);
        AtomicLong appended = new AtomicLong();
        try (Spool spool = Spool.open(temp.resolve("spool"), SpoolLimits.defaults(), FsyncPolicy.parse("interval:200"),
                Clock.systemUTC())) {
            SpoolPublisher publisher = SpoolPublisher.start(spool, broker.bootstrap(), "outage-test", Map.of());
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 1; appending.get(); i++) {
                        spool.append("predictions", ("cam-" + i % 3).getBytes(StandardCharsets.UTF_8),
                                Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                        appended.set(i);
                        Thread.sleep(20);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            writer.start();
            Thread.sleep(5000);
            broker.close();
            long atOutage = appended.get();
            Thread.sleep(60_000);
            long pendingAtEnd = spool.stats().pending();
            broker = EmbeddedKafkaBroker.start(port, data);
            Thread.sleep(5000);
            appending.set(false);
            writer.join();
            long total = appended.get();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (spool.stats().pending() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            System.out.printf("outage: %d records appended before it, %d pending in the spool after 60 s,"
                    + " %d in all%n", atOutage, pendingAtEnd, total);
            assertThat(pendingAtEnd).as("the spool grew during the outage").isGreaterThan(2000);
            assertThat(spool.stats().pending()).as("the spool drained").isZero();
            publisher.close();

            Map<String, List<Long>> byKey = readAll(broker.bootstrap());
            List<Long> all = new ArrayList<>();
            byKey.values().forEach(all::addAll);
            assertThat(all).as("every record once").hasSize((int) total);
            assertThat(new HashSet<>(all)).hasSize((int) total);
            for (List<Long> values : byKey.values()) {
                assertThat(values).as("each key in order").isSorted();
            }
            assertThat(publisher.undeliverable()).isZero();
        } finally {
            broker.close();
        }
    }

    @Test
    void aWriterKilledDuringAnOutageLeavesASpoolThatIsReplayedCompletely(@TempDir Path temp) throws Exception {
        Path spoolDir = temp.resolve("spool");
        int deadPort = EdgeTestKit.freePort();
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), SpoolWriterMain.class.getName(), spoolDir.toString(),
                "127.0.0.1:" + deadPort).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long lastReported = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && lastReported < 1500) {
                if (line.startsWith("appended ")) {
                    lastReported = Long.parseLong(line.substring(9));
                }
            }
            child.destroyForcibly();
            child.waitFor();
        }
        assertThat(lastReported).as("the writer got going before it was killed").isGreaterThanOrEqualTo(1500);

        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(deadPort, temp.resolve("kafka"));
        broker.createTopics(List.of(new NewTopic("predictions", 3, (short) 1)));
        try (Spool spool = Spool.open(spoolDir, SpoolLimits.defaults(), FsyncPolicy.parse("interval:100"),
                Clock.systemUTC())) {
            long last = spool.stats().lastSequence();
            assertThat(last).as("every record reported appended survived kill -9").isGreaterThanOrEqualTo(lastReported);
            assertThat(spool.stats().damaged()).as("at most the torn last record").isLessThanOrEqualTo(1);
            SpoolPublisher publisher = SpoolPublisher.start(spool, broker.bootstrap(), "replay", Map.of());
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (spool.stats().pending() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            publisher.close();
            Map<String, List<Long>> byKey = readAll(broker.bootstrap());
            Set<Long> values = new HashSet<>();
            byKey.values().forEach(values::addAll);
            for (long i = 1; i <= last; i++) {
                assertThat(values).as("record %d replayed", i).contains(i);
            }
            for (Map.Entry<String, List<Long>> key : byKey.entrySet()) {
                for (long v : key.getValue()) {
                    assertThat(key.getKey()).as("a record keeps its key").isEqualTo("cam-" + v % 3);
                }
            }
        } finally {
            broker.close();
        }
    }

    private static Map<String, List<Long>> readAll(String bootstrap) {
        Map<String, List<Long>> byKey = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : EdgeTestKit.consumerRecords(bootstrap, "predictions")) {
            byKey.computeIfAbsent(new String(r.key(), StandardCharsets.UTF_8), k -> new ArrayList<>())
                    .add(Long.parseLong(new String(r.value(), StandardCharsets.UTF_8)));
        }
        return byKey;
    }

}
