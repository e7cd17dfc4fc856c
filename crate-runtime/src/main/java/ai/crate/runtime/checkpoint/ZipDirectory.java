package ai.crate.runtime.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The central directory of a zip file (zip64 included), giving each entry's data as a memory-mapped region when
 * it is stored uncompressed, as {@code torch.save} writes its storages, so that tensors can be viewed in place.
 * {@code java.util.zip} cannot do this: it does not expose where an entry's data starts.
 */
final class ZipDirectory {
    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int CENTRAL_HEADER = 0x02014b50;
    private static final int END_OF_DIRECTORY = 0x06054b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_END = 0x06064b50;
    private static final int STORED = 0;
    private static final int DEFLATED = 8;

    /** One entry: where its local header is, how it is compressed and its sizes and checksum. */
    record Entry(String name, int method, long compressedSize, long size, long crc, long localHeaderOffset) {
    }

    private final Path file;
    private final FileChannel channel;
    private final long fileSize;
    private final Map<String, Entry> entries;

    private ZipDirectory(Path file, FileChannel channel, long fileSize, Map<String, Entry> entries) {
        this.file = file;
        this.channel = channel;
        this.fileSize = fileSize;
        this.entries = entries;
    }

    /** Reads the directory of an open channel; the channel stays owned by the caller. */
    static ZipDirectory read(Path file, FileChannel channel) throws IOException, CheckpointException {
        long size = channel.size();
        int tailLength = (int) Math.min(size, 22 + 65535);
        ByteBuffer tail = readFully(channel, size - tailLength, tailLength);
        int eocd = -1;
        for (int at = tailLength - 22; at >= 0; at--) {
            if (tail.getInt(at) == END_OF_DIRECTORY) {
                eocd = at;
                break;
            }
        }
        if (eocd < 0) {
            throw new CheckpointException(file + ": not a zip archive, or truncated (no end-of-directory record)");
        }
        long entryCount = tail.getShort(eocd + 10) & 0xffff;
        long directorySize = tail.getInt(eocd + 12) & 0xffffffffL;
        long directoryOffset = tail.getInt(eocd + 16) & 0xffffffffL;
        if (entryCount == 0xffff || directorySize == 0xffffffffL || directoryOffset == 0xffffffffL) {
            int locator = eocd - 20;
            if (locator < 0 || tail.getInt(locator) != ZIP64_LOCATOR) {
                throw new CheckpointException(file + ": corrupt zip64 archive (no zip64 locator)");
            }
            long zip64End = tail.getLong(locator + 8);
            if (zip64End < 0 || zip64End + 56 > size) {
                throw new CheckpointException(file + ": truncated zip64 archive");
            }
            ByteBuffer record = readFully(channel, zip64End, 56);
            if (record.getInt(0) != ZIP64_END) {
                throw new CheckpointException(file + ": corrupt zip64 end record");
            }
            entryCount = record.getLong(32);
            directorySize = record.getLong(40);
            directoryOffset = record.getLong(48);
        }
        if (entryCount < 0 || directorySize < 0 || directoryOffset < 0) {
            throw new CheckpointException(file + ": corrupt zip archive (negative sizes in the end record)");
        }
        if (directoryOffset + directorySize > size || directorySize > Integer.MAX_VALUE) {
            throw new CheckpointException(file + ": truncated zip archive (central directory at " + directoryOffset
                    + " + " + directorySize + " bytes is past the end of the " + size + "-byte file)");
        }
        ByteBuffer directory = readFully(channel, directoryOffset, (int) directorySize);
        Map<String, Entry> entries = new LinkedHashMap<>();
        int at = 0;
        for (long i = 0; i < entryCount; i++) {
            if (at + 46 > directory.limit() || directory.getInt(at) != CENTRAL_HEADER) {
                throw new CheckpointException(file + ": corrupt zip central directory at entry " + i);
            }
            int method = directory.getShort(at + 10) & 0xffff;
            long crc = directory.getInt(at + 16) & 0xffffffffL;
            long compressed = directory.getInt(at + 20) & 0xffffffffL;
            long uncompressed = directory.getInt(at + 24) & 0xffffffffL;
            int nameLength = directory.getShort(at + 28) & 0xffff;
            int extraLength = directory.getShort(at + 30) & 0xffff;
            int commentLength = directory.getShort(at + 32) & 0xffff;
            long localOffset = directory.getInt(at + 42) & 0xffffffffL;
            if (at + 46 + nameLength + extraLength + commentLength > directory.limit()) {
                throw new CheckpointException(file + ": corrupt zip central directory at entry " + i);
            }
            byte[] nameBytes = new byte[nameLength];
            directory.get(at + 46, nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);
            int extra = at + 46 + nameLength;
            int extraEnd = extra + extraLength;
            while (extra + 4 <= extraEnd) {
                int id = directory.getShort(extra) & 0xffff;
                int length = directory.getShort(extra + 2) & 0xffff;
                int fieldEnd = extra + 4 + length;
                if (fieldEnd > extraEnd) {
                    throw new CheckpointException(file + ": corrupt zip extra field in entry " + name);
                }
                if (id == 0x0001) {
                    int field = extra + 4;
                    if (uncompressed == 0xffffffffL) {
                        uncompressed = zip64Value(file, directory, field, fieldEnd, name);
                        field += 8;
                    }
                    if (compressed == 0xffffffffL) {
                        compressed = zip64Value(file, directory, field, fieldEnd, name);
                        field += 8;
                    }
                    if (localOffset == 0xffffffffL) {
                        localOffset = zip64Value(file, directory, field, fieldEnd, name);
                    }
                }
                extra = fieldEnd;
            }
            entries.put(name, new Entry(name, method, compressed, uncompressed, crc, localOffset));
            at += 46 + nameLength + extraLength + commentLength;
        }
        return new ZipDirectory(file, channel, size, entries);
    }

    private static long zip64Value(Path file, ByteBuffer directory, int field, int fieldEnd, String name)
            throws CheckpointException {
        if (field + 8 > fieldEnd) {
            throw new CheckpointException(file + ": corrupt zip64 extra field in entry " + name);
        }
        long value = directory.getLong(field);
        if (value < 0) {
            throw new CheckpointException(file + ": corrupt zip64 extra field in entry " + name + " (negative)");
        }
        return value;
    }

    Map<String, Entry> entries() {
        return entries;
    }

    /**
     * The entry's bytes, after checking its CRC-32: a read-only mapping of the file for stored entries, a heap
     * buffer for deflated ones.
     */
    ByteBuffer data(Entry entry) throws IOException, CheckpointException {
        if (entry.localHeaderOffset() < 0 || entry.size() < 0 || entry.compressedSize() < 0) {
            throw new CheckpointException(file + ": corrupt zip entry " + entry.name() + " (negative size or offset)");
        }
        if (entry.localHeaderOffset() + 30 > fileSize) {
            throw truncated(entry);
        }
        ByteBuffer header = readFully(channel, entry.localHeaderOffset(), 30);
        if (header.getInt(0) != LOCAL_HEADER) {
            throw new CheckpointException(file + ": corrupt zip entry " + entry.name() + " (bad local header)");
        }
        long start = entry.localHeaderOffset() + 30 + (header.getShort(26) & 0xffff) + (header.getShort(28) & 0xffff);
        if (start + entry.compressedSize() > fileSize) {
            throw truncated(entry);
        }
        if (entry.size() > Integer.MAX_VALUE || entry.compressedSize() > Integer.MAX_VALUE) {
            throw new CheckpointException(file + ": zip entry " + entry.name() + " is " + entry.size()
                    + " bytes; a single tensor storage over 2 GiB is not supported");
        }
        ByteBuffer data;
        if (entry.method() == STORED) {
            if (entry.compressedSize() != entry.size()) {
                throw new CheckpointException(file + ": corrupt zip entry " + entry.name() + " (sizes disagree)");
            }
            data = channel.map(FileChannel.MapMode.READ_ONLY, start, entry.size());
        } else if (entry.method() == DEFLATED) {
            data = inflate(entry, readFully(channel, start, (int) entry.compressedSize()));
        } else {
            throw new CheckpointException(file + ": zip entry " + entry.name() + " uses compression method "
                    + entry.method() + "; only stored and deflated entries are supported");
        }
        CRC32 crc = new CRC32();
        crc.update(data.duplicate());
        if (crc.getValue() != entry.crc()) {
            throw new CheckpointException(file + ": corrupt zip entry " + entry.name()
                    + " (CRC-32 mismatch: the file is damaged or was modified)");
        }
        return data.order(ByteOrder.LITTLE_ENDIAN);
    }

    private ByteBuffer inflate(Entry entry, ByteBuffer compressed) throws CheckpointException {
        if (entry.size() > entry.compressedSize() * 1032 + 1024) {
            throw new CheckpointException(file + ": corrupt zip entry " + entry.name() + " (claims " + entry.size()
                    + " bytes from " + entry.compressedSize() + " compressed)");
        }
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(compressed);
            ByteBuffer out = ByteBuffer.allocate((int) entry.size());
            while (out.hasRemaining() && !inflater.finished()) {
                if (inflater.inflate(out) == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
            }
            if (out.hasRemaining()) {
                throw new CheckpointException(file + ": corrupt zip entry " + entry.name()
                        + " (inflated to fewer bytes than recorded)");
            }
            return out.flip();
        } catch (DataFormatException e) {
            throw new CheckpointException(file + ": corrupt zip entry " + entry.name() + " (" + e.getMessage() + ")");
        } finally {
            inflater.end();
        }
    }

    private CheckpointException truncated(Entry entry) {
        return new CheckpointException(file + ": truncated (zip entry " + entry.name()
                + " reaches past the end of the " + fileSize + "-byte file)");
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) {
                break;
            }
        }
        return buffer.flip();
    }
}
