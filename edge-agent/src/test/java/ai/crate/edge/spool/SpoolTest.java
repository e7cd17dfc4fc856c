package ai.crate.edge.spool;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpoolTest {
    private static final SpoolLimits SMALL = new SpoolLimits(64 * 1024, Duration.ofDays(1).toMillis(), 8 * 1024);

    @Test
    void recordsComeBackInOrderAcrossSegmentsAndRestartsUntilAcknowledged(@TempDir Path dir) throws Exception {
        try (Spool spool = Spool.open(dir, SMALL, FsyncPolicy.always(), Clock.systemUTC())) {
            for (int i = 1; i <= 100; i++) {
                assertThat(spool.append("predictions", key(i), value(i, 200))).isEqualTo(i);
            }
            assertThat(segments(dir)).as("rolled over 8 KiB segments").hasSizeGreaterThan(2);
            List<SpooledRecord> first = spool.read(0, 30, 0);
            assertThat(first).extracting(SpooledRecord::sequence).containsExactlyElementsOf(range(1, 30));
            assertThat(new String(first.get(4).key(), StandardCharsets.UTF_8)).isEqualTo("cam-5");
            spool.acknowledge(30);
            assertThat(spool.stats().pending()).isEqualTo(70);
        }
        try (Spool spool = Spool.open(dir, SMALL, FsyncPolicy.always(), Clock.systemUTC())) {
            assertThat(spool.acknowledged()).isEqualTo(30);
            List<SpooledRecord> rest = spool.read(30, 1000, 0);
            assertThat(rest).extracting(SpooledRecord::sequence).containsExactlyElementsOf(range(31, 100));
            assertThat(rest.get(0).value()).isEqualTo(value(31, 200));
            assertThat(spool.append("predictions", key(101), value(101, 10))).as("sequences continue").isEqualTo(101);
            assertThat(spool.read(100, 10, 0)).extracting(SpooledRecord::sequence).containsExactly(101L);
            spool.acknowledge(101);
            assertThat(spool.stats().pending()).isZero();
            assertThat(segments(dir)).as("acknowledged segments are deleted").hasSize(1);
        }
    }

    @Test
    void aTruncatedSegmentLosesOnlyItsDamagedTailAndACorruptRecordOnlyItself(@TempDir Path dir) throws Exception {
        try (Spool spool = Spool.open(dir, SMALL, FsyncPolicy.always(), Clock.systemUTC())) {
            for (int i = 1; i <= 60; i++) {
                spool.append("predictions", key(i), value(i, 300));
            }
        }
        List<Path> files = segments(dir);
        assertThat(files).hasSizeGreaterThanOrEqualTo(3);
        Path truncated = files.get(1);
        long size = Files.size(truncated);
        try (RandomAccessFile f = new RandomAccessFile(truncated.toFile(), "rw")) {
            f.setLength(size - 100);
        }
        Path flipped = files.get(2);
        byte[] bytes = Files.readAllBytes(flipped);
        bytes[RecordCodec.HEADER + 40] ^= 0x5A;
        Files.write(flipped, bytes);

        try (Spool spool = Spool.open(dir, SMALL, FsyncPolicy.always(), Clock.systemUTC())) {
            List<SpooledRecord> all = spool.read(0, 1000, 0);
            List<Long> sequences = all.stream().map(SpooledRecord::sequence).toList();
            assertThat(spool.stats().damaged()).isEqualTo(2);
            assertThat(sequences).hasSize(58).isSorted().contains(1L, 60L);
            for (SpooledRecord record : all) {
                assertThat(record.value()).isEqualTo(value((int) record.sequence(), 300));
            }
            assertThat(spool.append("predictions", key(61), value(61, 10))).isEqualTo(61);
        }
    }

    @Test
    void theByteLimitDropsTheOldestSegmentsAndCountsThem(@TempDir Path dir) throws Exception {
        try (Spool spool = Spool.open(dir, SMALL, FsyncPolicy.parse("interval:50"), Clock.systemUTC())) {
            for (int i = 1; i <= 400; i++) {
                spool.append("predictions", key(i), value(i, 500));
            }
            SpoolStats stats = spool.stats();
            assertThat(stats.bytes()).isLessThanOrEqualTo(SMALL.maxBytes());
            assertThat(stats.droppedForSpace()).isPositive();
            assertThat(stats.droppedForSpace() + stats.pending()).isEqualTo(400);
            List<SpooledRecord> left = spool.read(0, 1000, 0);
            assertThat(left.get(0).sequence()).isEqualTo(stats.droppedForSpace() + 1);
            assertThat(left.get(left.size() - 1).sequence()).isEqualTo(400);
        }
    }

    @Test
    void theAgeLimitDropsOldSegments(@TempDir Path dir) throws Exception {
        MutableClock clock = new MutableClock();
        SpoolLimits limits = new SpoolLimits(1 << 20, 60_000, 8 * 1024);
        try (Spool spool = Spool.open(dir, limits, FsyncPolicy.parse("never"), clock)) {
            for (int i = 1; i <= 40; i++) {
                spool.append("predictions", key(i), value(i, 500));
            }
            clock.now = clock.now.plusSeconds(120);
            spool.append("predictions", key(41), value(41, 500));
            SpoolStats stats = spool.stats();
            assertThat(stats.droppedForAge()).isEqualTo(40);
            assertThat(spool.read(0, 100, 0)).extracting(SpooledRecord::sequence).containsExactly(41L);
        }
    }

    @Test
    void aDamagedAcknowledgedMarkReplaysRatherThanLoses(@TempDir Path dir) throws Exception {
        try (Spool spool = Spool.open(dir, SMALL, FsyncPolicy.always(), Clock.systemUTC())) {
            for (int i = 1; i <= 10; i++) {
                spool.append("predictions", key(i), value(i, 10));
            }
            spool.acknowledge(6);
        }
        Files.write(dir.resolve("acknowledged"), new byte[] {1, 2, 3});
        try (Spool spool = Spool.open(dir, SMALL, FsyncPolicy.always(), Clock.systemUTC())) {
            assertThat(spool.read(spool.acknowledged(), 100, 0)).extracting(SpooledRecord::sequence)
                    .as("everything still on disk comes back").contains(7L, 8L, 9L, 10L);
        }
    }

    @Test
    void anInterruptedCallerNeitherClosesTheSpoolNorLosesItsInterrupt(@TempDir Path dir) throws Exception {
        try (Spool spool = Spool.open(dir, SMALL, FsyncPolicy.always(), Clock.systemUTC())) {
            spool.append("predictions", key(1), value(1, 100));
            Thread.currentThread().interrupt();
            assertThat(spool.append("predictions", key(2), value(2, 100))).isEqualTo(2);
            assertThat(Thread.interrupted()).as("the interrupt is still there after append").isTrue();
            Thread.currentThread().interrupt();
            spool.acknowledge(1);
            assertThat(Thread.interrupted()).as("the interrupt is still there after acknowledge").isTrue();
            assertThat(spool.append("predictions", key(3), value(3, 100))).isEqualTo(3);
            assertThat(spool.read(1, 10, 0)).extracting(SpooledRecord::sequence).containsExactly(2L, 3L);
        }
        try (Spool spool = Spool.open(dir, SMALL, FsyncPolicy.always(), Clock.systemUTC())) {
            assertThat(spool.acknowledged()).isEqualTo(1);
            assertThat(spool.read(1, 10, 0)).extracting(SpooledRecord::value)
                    .containsExactly(value(2, 100), value(3, 100));
        }
    }

    @Test
    void interruptsArrivingDuringWritesAndReadsLoseNothing(@TempDir Path dir) throws Exception {
        int records = 500;
        SpoolLimits roomy = new SpoolLimits(16 << 20, Duration.ofDays(1).toMillis(), 8 * 1024);
        try (Spool spool = Spool.open(dir, roomy, FsyncPolicy.always(), Clock.systemUTC())) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    for (int i = 1; i <= records; i++) {
                        spool.append("predictions", key(i), value(i, 300));
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            writer.start();
            while (writer.isAlive()) {
                writer.interrupt();
                LockSupport.parkNanos(20_000);
            }
            assertThat(failure.get()).as("no append failed").isNull();
            Thread reader = new Thread(() -> {
                try {
                    long after = 0;
                    while (after < records) {
                        List<SpooledRecord> batch = spool.read(after, 7, 0);
                        for (SpooledRecord record : batch) {
                            assertThat(record.sequence()).isEqualTo(after + 1);
                            assertThat(record.value()).isEqualTo(value((int) record.sequence(), 300));
                            after = record.sequence();
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            reader.start();
            while (reader.isAlive()) {
                reader.interrupt();
                LockSupport.parkNanos(20_000);
            }
            assertThat(failure.get()).as("every record read back, in order").isNull();
        }
    }

    @Test
    void badSettingsAndASecondOpenAreRefusedClearly(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> FsyncPolicy.parse("sometimes")).hasMessageContaining("always, never or interval:MS");
        assertThatThrownBy(() -> FsyncPolicy.parse("interval:soon")).hasMessageContaining("whole milliseconds");
        assertThatThrownBy(() -> new SpoolLimits(1000, 1, 4096)).hasMessageContaining("spool limits");
        try (Spool ignored = Spool.open(dir, SMALL, FsyncPolicy.always(), Clock.systemUTC())) {
            assertThatThrownBy(() -> Spool.open(dir, SMALL, FsyncPolicy.always(), Clock.systemUTC()))
                    .hasMessageContaining("is in use");
        }
    }

    static byte[] key(int i) {
        return ("cam-" + i).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] value(int i, int size) {
        byte[] v = new byte[size];
        for (int j = 0; j < size; j++) {
            v[j] = (byte) (i * 31 + j);
        }
        return v;
    }

    private static List<Long> range(long first, long last) {
        return java.util.stream.LongStream.rangeClosed(first, last).boxed().toList();
    }

    private static List<Path> segments(Path dir) throws Exception {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().startsWith("segment-")).sorted().toList();
        }
    }

    /** A clock the test moves. */
    private static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-11-29T00:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
