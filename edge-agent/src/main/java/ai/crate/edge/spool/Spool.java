package ai.crate.edge.spool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A durable, bounded, on-disk queue of records on their way to Kafka: everything the agent produces is appended here
 * first and stays until Kafka acknowledged it, through broker outages, {@code kill -9} and (per the
 * {@link FsyncPolicy}) power loss. Records are read back in append order by one reader, the publisher, which
 * {@link #acknowledge acknowledges} them as Kafka does; fully acknowledged segment files are deleted.
 *
 * <p>On disk: {@code segment-<first sequence>.log} files of {@link RecordCodec} records, and {@code acknowledged}
 * (the last acknowledged sequence with a checksum, replaced atomically). Opening scans every segment: a truncated
 * tail or a record that fails its checksum is skipped and counted ({@link SpoolStats#damaged}), the rest is kept,
 * and appends always go to a new segment. When the byte or age limit is reached the oldest segment is deleted and
 * its undelivered records counted as dropped. A lock file keeps a second process out. Thread-safe, and immune to
 * interrupts: a caller's interrupt never closes the spool's files (as it would close a bare {@link FileChannel}); it
 * is kept for the caller to see when the call returns.
 */
public final class Spool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    private static final String ACKNOWLEDGED = "acknowledged";

    private final Path directory;
    private final SpoolLimits limits;
    private final FsyncPolicy fsync;
    private final Clock clock;
    /** Holds the lock that keeps a second process out; closing it releases the lock. */
    private final FileChannel lockChannel;
    private final List<Segment> segments = new ArrayList<>();
    private FileChannel active;
    private long nextSequence;
    private long acknowledged;
    private long lastForceMillis;
    private long droppedForSpace;
    private long droppedForAge;
    private long damaged;
    private Segment cursorSegment;
    private long cursorOffset;
    private long cursorNext = -1;
    private FileChannel reader;
    private Segment readerSegment;
    private boolean closed;

    /** One segment file: the sequences it holds and how far its records are readable. */
    private static final class Segment {
        final Path file;
        final long firstSequence;
        long lastSequence;
        long validEnd;
        long newestMillis;

        Segment(Path file, long firstSequence) {
            this.file = file;
            this.firstSequence = firstSequence;
            this.lastSequence = firstSequence - 1;
        }
    }

    private Spool(Path directory, SpoolLimits limits, FsyncPolicy fsync, Clock clock, FileChannel lockChannel) {
        this.directory = directory;
        this.limits = limits;
        this.fsync = fsync;
        this.clock = clock;
        this.lockChannel = lockChannel;
    }

    /**
     * Opens (or creates) the spool in {@code directory}, recovering what a previous process left.
     *
     * @throws IOException when the directory cannot be used, or another process holds the spool
     */
    public static Spool open(Path directory, SpoolLimits limits, FsyncPolicy fsync, Clock clock) throws IOException {
        Files.createDirectories(directory);
        FileChannel lockChannel = FileChannel.open(directory.resolve("lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            lockChannel.close();
            throw new IOException("spool " + directory + " is in use by another process (or another spool here)");
        }
        Spool spool = new Spool(directory, limits, fsync, clock, lockChannel);
        try {
            spool.recover();
        } catch (IOException | RuntimeException e) {
            spool.close();
            throw e;
        }
        return spool;
    }

    private void recover() throws IOException {
        acknowledged = readAcknowledged();
        List<Path> files;
        try (Stream<Path> list = Files.list(directory)) {
            files = list.filter(p -> p.getFileName().toString().matches("segment-\\d{20}\\.log")).sorted().toList();
        }
        long highest = acknowledged;
        for (Path file : files) {
            String name = file.getFileName().toString();
            Segment segment = new Segment(file, Long.parseLong(name.substring(8, 28)));
            scan(segment);
            if (segment.lastSequence < segment.firstSequence || segment.lastSequence <= acknowledged) {
                Files.delete(file);
                continue;
            }
            segments.add(segment);
            highest = Math.max(highest, segment.lastSequence);
        }
        nextSequence = highest + 1;
        lastForceMillis = clock.millis();
        if (damaged > 0) {
            LOG.warn("spool {}: skipped {} damaged records (a truncated or corrupted segment); everything else is"
                    + " kept", directory, damaged);
        }
        LOG.info("spool {}: {} records pending (sequences {}..{}), {} bytes, fsync {}", directory, pending(),
                acknowledged + 1, nextSequence - 1, bytes(), fsync);
    }

    /** Reads a segment's records to find its last sequence, readable end and newest append; counts damage. */
    private void scan(Segment segment) throws IOException {
        try (FileChannel in = FileChannel.open(segment.file, StandardOpenOption.READ)) {
            long size = in.size();
            long offset = 0;
            ByteBuffer header = ByteBuffer.allocate(RecordCodec.HEADER);
            while (offset < size) {
                header.clear();
                int length = offset + RecordCodec.HEADER <= size && readFully(in, header, offset)
                        ? RecordCodec.bodyLength(header) : -1;
                if (length < 0 || offset + RecordCodec.HEADER + length > size) {
                    damaged++;
                    LOG.warn("spool: {} is damaged from byte {} of {} (truncated or overwritten); skipping the rest"
                            + " of it", segment.file, offset, size);
                    break;
                }
                byte[] body = new byte[length];
                readFully(in, ByteBuffer.wrap(body), offset + RecordCodec.HEADER);
                SpooledRecord record = RecordCodec.decode(header, body);
                offset += RecordCodec.HEADER + length;
                if (record == null || record.sequence() <= segment.lastSequence) {
                    damaged++;
                    LOG.warn("spool: a record of {} ending at byte {} fails its checksum; skipped", segment.file,
                            offset);
                    continue;
                }
                segment.lastSequence = record.sequence();
                segment.newestMillis = Math.max(segment.newestMillis, record.appendedMillis());
                segment.validEnd = offset;
            }
        }
    }

    /**
     * Appends a record; it is in the file (and on the device, per the fsync policy) when this returns.
     *
     * @return the record's sequence
     */
    public synchronized long append(String topic, byte[] key, byte[] value) throws IOException {
        ensureOpen();
        long now = clock.millis();
        SpooledRecord record = new SpooledRecord(nextSequence, now, topic, key, value);
        ByteBuffer encoded = RecordCodec.encode(record);
        Segment segment = segments.isEmpty() ? null : segments.get(segments.size() - 1);
        if (active == null || segment.validEnd + encoded.remaining() > limits.segmentBytes()
                || segment.newestMillis < now - limits.maxAgeMillis()) {
            segment = roll();
        }
        Segment target = segment;
        boolean force = fsync.forceNow(now - lastForceMillis);
        uninterruptibly(() -> {
            encoded.rewind();
            while (encoded.hasRemaining()) {
                active.write(encoded, target.validEnd + encoded.position());
            }
            if (force) {
                active.force(false);
            }
        }, this::reopenActive);
        segment.validEnd += encoded.limit();
        segment.lastSequence = record.sequence();
        segment.newestMillis = now;
        nextSequence++;
        if (force) {
            lastForceMillis = now;
        }
        enforceLimits(now);
        notifyAll();
        return record.sequence();
    }

    /** Closes the active segment and starts a new one at the next sequence. */
    private Segment roll() throws IOException {
        closeActive();
        Segment segment = new Segment(directory.resolve(String.format("segment-%020d.log", nextSequence)),
                nextSequence);
        active = FileChannel.open(segment.file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        if (fsync.kind() != FsyncPolicy.Kind.NEVER) {
            forceDirectory();
        }
        segments.add(segment);
        return segment;
    }

    /** Deletes the oldest segments while the spool is over its byte limit or holds records past the age limit. */
    private void enforceLimits(long now) throws IOException {
        while (segments.size() > 1 && bytes() > limits.maxBytes()) {
            droppedForSpace += dropOldest("the spool reached its limit of " + limits.maxBytes() + " bytes");
        }
        while (segments.size() > 1 && segments.get(0).newestMillis < now - limits.maxAgeMillis()) {
            droppedForAge += dropOldest("its records are older than " + limits.maxAgeMillis() + " ms");
        }
    }

    private long dropOldest(String why) throws IOException {
        Segment oldest = segments.remove(0);
        long undelivered = Math.max(0, oldest.lastSequence - Math.max(acknowledged, oldest.firstSequence - 1));
        if (oldest == cursorSegment) {
            cursorSegment = null;
            cursorNext = -1;
        }
        if (acknowledged < oldest.lastSequence) {
            acknowledged = oldest.lastSequence;
            writeAcknowledged();
        }
        if (oldest == readerSegment) {
            closeReader();
        }
        Files.deleteIfExists(oldest.file);
        if (undelivered > 0) {
            LOG.warn("spool {}: dropped {} undelivered records (sequences up to {}) because {}", directory,
                    undelivered, oldest.lastSequence, why);
        }
        return undelivered;
    }

    /**
     * Up to {@code max} records after sequence {@code after}, in order, waiting up to {@code waitMillis} for the
     * first one. Records dropped for space or age are skipped.
     */
    public synchronized List<SpooledRecord> read(long after, int max, long waitMillis)
            throws IOException, InterruptedException {
        ensureOpen();
        long deadline = System.nanoTime() + waitMillis * 1_000_000;
        while (nextSequence - 1 <= after && !closed) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return List.of();
            }
            wait(left);
        }
        List<SpooledRecord> out = new ArrayList<>();
        if (cursorNext != after + 1 || cursorSegment == null || !segments.contains(cursorSegment)) {
            seek(after + 1);
        }
        ByteBuffer header = ByteBuffer.allocate(RecordCodec.HEADER);
        while (out.size() < max && cursorSegment != null) {
            if (cursorOffset >= cursorSegment.validEnd) {
                int index = segments.indexOf(cursorSegment);
                if (index + 1 >= segments.size()) {
                    break;
                }
                cursorSegment = segments.get(index + 1);
                cursorOffset = 0;
                continue;
            }
            SpooledRecord record = readAt(cursorSegment, header);
            if (record == null) {
                continue;
            }
            if (record.sequence() > after) {
                out.add(record);
            }
            cursorNext = record.sequence() + 1;
        }
        return out;
    }

    /** Positions the cursor at the first readable record with a sequence of at least {@code sequence}. */
    private void seek(long sequence) throws IOException {
        cursorSegment = null;
        for (Segment segment : segments) {
            if (segment.lastSequence >= sequence) {
                cursorSegment = segment;
                break;
            }
        }
        cursorOffset = 0;
        cursorNext = sequence;
        if (cursorSegment == null) {
            return;
        }
        ByteBuffer header = ByteBuffer.allocate(RecordCodec.HEADER);
        while (cursorOffset < cursorSegment.validEnd) {
            long at = cursorOffset;
            SpooledRecord record = readAt(cursorSegment, header);
            if (record != null && record.sequence() >= sequence) {
                cursorOffset = at;
                return;
            }
        }
    }

    /** The record at the cursor, advancing it; null for a damaged record (skipped). */
    private SpooledRecord readAt(Segment segment, ByteBuffer header) throws IOException {
        uninterruptibly(() -> {
            header.clear();
            readFully(readerFor(segment), header, cursorOffset);
        }, this::closeReader);
        int length = RecordCodec.bodyLength(header);
        if (length < 0) {
            cursorOffset = segment.validEnd;
            return null;
        }
        byte[] body = new byte[length];
        uninterruptibly(() -> readFully(readerFor(segment), ByteBuffer.wrap(body), cursorOffset + RecordCodec.HEADER),
                this::closeReader);
        cursorOffset += RecordCodec.HEADER + length;
        return RecordCodec.decode(header, body);
    }

    /** A read channel on {@code segment}, kept open while the reader stays in it. */
    private FileChannel readerFor(Segment segment) throws IOException {
        if (readerSegment != segment) {
            closeReader();
            reader = FileChannel.open(segment.file, StandardOpenOption.READ);
            readerSegment = segment;
        }
        return reader;
    }

    private void closeReader() throws IOException {
        if (reader != null) {
            reader.close();
            reader = null;
            readerSegment = null;
        }
    }

    /**
     * Records that Kafka acknowledged everything up to {@code sequence}; segments holding only acknowledged records
     * are deleted. The mark is persisted, so a restart resumes after it.
     */
    public synchronized void acknowledge(long sequence) throws IOException {
        ensureOpen();
        long upTo = Math.min(sequence, nextSequence - 1);
        if (upTo <= acknowledged) {
            return;
        }
        acknowledged = upTo;
        writeAcknowledged();
        while (segments.size() > 1 && segments.get(0).lastSequence <= acknowledged) {
            Segment done = segments.remove(0);
            if (done == cursorSegment) {
                cursorSegment = null;
                cursorNext = -1;
            }
            if (done == readerSegment) {
                closeReader();
            }
            Files.deleteIfExists(done.file);
        }
        enforceLimits(clock.millis());
    }

    /** The last acknowledged sequence (0 before any). */
    public synchronized long acknowledged() {
        return acknowledged;
    }

    public synchronized SpoolStats stats() {
        return new SpoolStats(pending(), bytes(), droppedForSpace, droppedForAge, damaged, nextSequence - 1,
                acknowledged);
    }

    private long pending() {
        long pending = 0;
        for (Segment segment : segments) {
            pending += Math.max(0, segment.lastSequence - Math.max(acknowledged, segment.firstSequence - 1));
        }
        return pending;
    }

    private long bytes() {
        long bytes = 0;
        for (Segment segment : segments) {
            bytes += segment.validEnd;
        }
        return bytes;
    }

    private long readAcknowledged() throws IOException {
        Path file = directory.resolve(ACKNOWLEDGED);
        if (!Files.exists(file)) {
            return 0;
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length == 12) {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            long value = in.getLong();
            CRC32C crc = new CRC32C();
            crc.update(bytes, 0, 8);
            if ((int) crc.getValue() == in.getInt() && value >= 0) {
                return value;
            }
        }
        LOG.warn("spool {}: {} is damaged; replaying every record still in the spool (Kafka may see some twice,"
                + " with the same keys)", directory, file);
        return 0;
    }

    private void writeAcknowledged() throws IOException {
        uninterruptibly(this::replaceAcknowledged, () -> { });
    }

    private void replaceAcknowledged() throws IOException {
        ByteBuffer out = ByteBuffer.allocate(12).putLong(acknowledged);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, 8);
        out.putInt((int) crc.getValue()).flip();
        Path temp = directory.resolve(ACKNOWLEDGED + ".tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (out.hasRemaining()) {
                channel.write(out);
            }
            if (fsync.kind() != FsyncPolicy.Kind.NEVER) {
                channel.force(false);
            }
        }
        Files.move(temp, directory.resolve(ACKNOWLEDGED), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private void forceDirectory() {
        try {
            uninterruptibly(() -> {
                try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
                    dir.force(true);
                }
            }, () -> { });
        } catch (IOException e) {
            LOG.debug("spool {}: the file system cannot force a directory ({})", directory, e.getMessage());
        }
    }

    private static boolean readFully(FileChannel in, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = in.read(buffer, at);
            if (n < 0) {
                return false;
            }
            at += n;
        }
        return true;
    }

    private void closeActive() throws IOException {
        if (active != null) {
            try {
                uninterruptibly(() -> active.force(false), this::reopenActive);
            } finally {
                active.close();
                active = null;
            }
        }
    }

    /** Reopens the newest segment, which the active channel always writes, after an interrupt closed it. */
    private void reopenActive() throws IOException {
        active = FileChannel.open(segments.get(segments.size() - 1).file, StandardOpenOption.WRITE);
    }

    /** A file operation that can be repeated whole: positional reads and writes, forces, file replacements. */
    private interface Repeatable {
        void run() throws IOException;
    }

    /**
     * Runs {@code operation} with the calling thread's interrupt held back, so that it cannot close a channel under
     * the spool. An interrupt that arrives during the call closes the channel anyway: then {@code reopen} runs and the
     * operation is repeated. Either way the thread is interrupted again afterwards if it was before or during the
     * call.
     */
    private static void uninterruptibly(Repeatable operation, Repeatable reopen) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            while (true) {
                try {
                    operation.run();
                    return;
                } catch (ClosedByInterruptException e) {
                    interrupted = true;
                    Thread.interrupted();
                    reopen.run();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("spool " + directory + " is closed");
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        notifyAll();
        try {
            closeReader();
            closeActive();
        } finally {
            lockChannel.close();
        }
    }
}
