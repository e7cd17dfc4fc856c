package ai.crate.ingest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;

import org.slf4j.LoggerFactory;

/**
 * Per-camera sequence numbers that survive restarts. Numbers are reserved in blocks: before a block is used its end is
 * written and fsynced, so a crash never reuses a number (it leaves a gap up to the block's end); a clean
 * {@link #close()} records the exact next number, so clean restarts continue without a gap. A lock file keeps two
 * processes from numbering the same camera.
 */
public final class SequenceStore implements AutoCloseable {
    static final long BLOCK = 1_000;
    private final Path file;
    private final FileChannel lockChannel;
    private long next;
    private long reservedUntil;

    private SequenceStore(Path file, FileChannel lockChannel, long next) {
        this.file = file;
        this.lockChannel = lockChannel;
        this.next = next;
        this.reservedUntil = next;
    }

    /**
     * Opens the numbering of {@code cameraId} under {@code directory} (created if needed).
     *
     * @throws IngestException if another process holds the camera, or the stored number is unreadable
     */
    public static SequenceStore open(Path directory, String cameraId) throws IngestException {
        if (cameraId == null || cameraId.isBlank()) {
            throw new IngestException("a camera id is required");
        }
        String name = "camera-" + HexFormat.of().formatHex(cameraId.getBytes(StandardCharsets.UTF_8));
        Path file = directory.resolve(name + ".seq");
        FileChannel channel = null;
        try {
            Files.createDirectories(directory);
            channel = FileChannel.open(directory.resolve(name + ".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            java.nio.channels.FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new IngestException("camera '" + cameraId + "' is already being ingested by another process"
                        + " (lock " + directory.resolve(name + ".lock") + ")");
            }
            return new SequenceStore(file, channel, read(file, cameraId));
        } catch (IOException | OverlappingFileLockException e) {
            closeQuietly(channel);
            throw new IngestException("cannot open the sequence state of camera '" + cameraId + "' in " + directory
                    + ": " + e.getMessage(), e);
        } catch (IngestException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static long read(Path file, String cameraId) throws IOException, IngestException {
        if (!Files.exists(file)) {
            return 0;
        }
        String text = Files.readString(file, StandardCharsets.UTF_8).trim();
        try {
            long value = Long.parseLong(text);
            if (value < 0) {
                throw new NumberFormatException("negative");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IngestException("sequence state " + file + " of camera '" + cameraId + "' holds '" + text
                    + "', not a non-negative number; fix or delete it (deleting restarts the camera at 0)");
        }
    }

    /** The next sequence number. */
    public long next() throws IngestException {
        if (next == reservedUntil) {
            write(reservedUntil + BLOCK);
            reservedUntil += BLOCK;
        }
        return next++;
    }

    /** The number the next call to {@link #next()} returns. */
    public long peek() {
        return next;
    }

    private void write(long value) throws IngestException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(ByteBuffer.wrap((value + "\n").getBytes(StandardCharsets.UTF_8)));
            out.force(true);
        } catch (IOException e) {
            throw new IngestException("cannot write sequence state " + temporary + ": " + e.getMessage(), e);
        }
        try {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new IngestException("cannot replace sequence state " + file + ": " + e.getMessage(), e);
        }
        forceDirectory();
    }

    /** Makes the rename durable: until the directory is on the device, power loss may bring the old value back. */
    private void forceDirectory() {
        try (FileChannel directory = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException e) {
            LoggerFactory.getLogger(SequenceStore.class).debug("the file system cannot force directory {} ({})",
                    file.getParent(), e.getMessage());
        }
    }

    /** Records the exact next number and releases the camera. */
    @Override
    public void close() throws IngestException {
        try {
            write(next);
        } finally {
            closeQuietly(lockChannel);
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LoggerFactory.getLogger(SequenceStore.class).debug("closing the lock file failed", e);
            }
        }
    }
}
