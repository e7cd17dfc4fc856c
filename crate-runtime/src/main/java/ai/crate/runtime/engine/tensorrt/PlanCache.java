package ai.crate.runtime.engine.tensorrt;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Serialized TensorRT plans on disk, one file per {@link PlanKey}. Each file starts with a header (format tag, the
 * key, the plan's sha256 and length) that is verified on load: a plan for another key, a truncated or altered file is
 * reported, removed and treated as absent so the caller rebuilds it. Writes go through a temporary file, fsync and an
 * atomic rename, so readers never see half a plan.
 */
public final class PlanCache {
    private static final Logger LOG = LoggerFactory.getLogger(PlanCache.class);
    private static final String FORMAT = "CRATEPLAN1";
    private static final int MAX_HEADER = 4096;

    private final Path directory;

    public PlanCache(Path directory) {
        this.directory = directory;
    }

    public Path directory() {
        return directory;
    }

    public Path pathOf(PlanKey key) {
        return directory.resolve(key.fileName());
    }

    /** The cached plan for {@code key}, or empty when there is none or it failed verification (then it is removed). */
    public Optional<byte[]> load(PlanKey key) {
        Path file = pathOf(key);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            LOG.warn("plan cache: cannot read {} ({}); rebuilding", file, e.getMessage());
            return Optional.empty();
        }
        String problem = verify(key, bytes);
        if (problem != null) {
            LOG.warn("plan cache: {} is unusable ({}); removing it and rebuilding", file, problem);
            invalidate(key);
            return Optional.empty();
        }
        int headerEnd = headerEnd(bytes);
        byte[] plan = new byte[bytes.length - headerEnd];
        System.arraycopy(bytes, headerEnd, plan, 0, plan.length);
        return Optional.of(plan);
    }

    /** Stores a plan atomically, replacing any previous one for the key. */
    public Path store(PlanKey key, byte[] plan) throws IOException {
        Files.createDirectories(directory);
        Path file = pathOf(key);
        Path temp = Files.createTempFile(directory, key.fileName(), ".tmp");
        String header = FORMAT + "\n" + key.canonical() + "\n" + PlanKey.sha256(plan) + "\n" + plan.length + "\n";
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer head = ByteBuffer.wrap(header.getBytes(StandardCharsets.UTF_8));
                while (head.hasRemaining()) {
                    out.write(head);
                }
                ByteBuffer body = ByteBuffer.wrap(plan);
                while (body.hasRemaining()) {
                    out.write(body);
                }
                out.force(true);
            }
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
        return file;
    }

    /** Removes the plan for {@code key}, e.g. after TensorRT refused to deserialize it. */
    public void invalidate(PlanKey key) {
        try {
            Files.deleteIfExists(pathOf(key));
        } catch (IOException e) {
            LOG.warn("plan cache: cannot remove {}: {}", pathOf(key), e.getMessage());
        }
    }

    /** Null if the file holds a plan for this key intact, else what is wrong. */
    static String verify(PlanKey key, byte[] bytes) {
        int headerEnd = headerEnd(bytes);
        if (headerEnd < 0) {
            return "no valid header";
        }
        String[] lines = new String(bytes, 0, headerEnd, StandardCharsets.UTF_8).split("\n");
        if (lines.length != 4 || !lines[0].equals(FORMAT)) {
            return "not a plan file of format " + FORMAT;
        }
        if (!lines[1].equals(key.canonical())) {
            return "built for another model, GPU, TensorRT version, precision or profile (" + lines[1] + ")";
        }
        long length;
        try {
            length = Long.parseLong(lines[3]);
        } catch (NumberFormatException e) {
            return "corrupt length";
        }
        if (length != bytes.length - headerEnd) {
            return "truncated: " + (bytes.length - headerEnd) + " of " + length + " bytes";
        }
        byte[] plan = new byte[bytes.length - headerEnd];
        System.arraycopy(bytes, headerEnd, plan, 0, plan.length);
        if (!PlanKey.sha256(plan).equals(lines[2])) {
            return "sha256 mismatch: the plan was altered or damaged";
        }
        return null;
    }

    private static int headerEnd(byte[] bytes) {
        int newlines = 0;
        for (int i = 0; i < Math.min(bytes.length, MAX_HEADER); i++) {
            if (bytes[i] == '\n' && ++newlines == 4) {
                return i + 1;
            }
        }
        return -1;
    }
}
