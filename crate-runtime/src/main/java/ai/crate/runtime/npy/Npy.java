package ai.crate.runtime.npy;

import ai.crate.runtime.tensor.Shapes;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files: {@code Npy.read(path)} for float32, float64, int32 and int64 arrays in C
 * order, {@code Npy.writeFloat32(path, shape, values)} and its float64, int32 and int64 siblings to write. Anything else
 * (Fortran order, big-endian, other dtypes, truncated data) fails with a message naming the file.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** Reads an array; the file is memory-mapped, so its bytes are not copied onto the heap. */
    public static NpyArray read(Path file) throws NpyException {
        ByteBuffer buffer;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE) {
                throw new NpyException(file + ": " + size + " bytes; one .npy must stay under 2 GiB here: split it"
                        + " into several files");
            }
            buffer = channel.map(FileChannel.MapMode.READ_ONLY, 0, size).order(ByteOrder.LITTLE_ENDIAN);
        } catch (NoSuchFileException e) {
            throw new NpyException(file + ": no such file");
        } catch (IOException e) {
            throw new NpyException(file + ": cannot read (" + e.getMessage() + ")");
        }
        int length = buffer.capacity();
        if (length < 10 || !startsWithMagic(buffer)) {
            throw new NpyException(file + ": not an .npy file (missing the \\x93NUMPY magic)");
        }
        int major = buffer.get(6);
        int headerLength;
        int headerStart;
        if (major == 1) {
            headerLength = buffer.getShort(8) & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (length < 12) {
                throw new NpyException(file + ": truncated .npy header");
            }
            headerLength = buffer.getInt(8);
            headerStart = 12;
        } else {
            throw new NpyException(file + ": unsupported .npy format version " + major);
        }
        if (headerLength < 0 || headerStart + (long) headerLength > length) {
            throw new NpyException(file + ": truncated .npy header");
        }
        byte[] headerBytes = new byte[headerLength];
        buffer.get(headerStart, headerBytes);
        String header = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(file, DESCR, header, "descr");
        NpyType type = NpyType.fromDescr(descr.replace('=', '<').replace("|", "<")).orElseThrow(
                () -> new NpyException(file + ": dtype '" + descr + "' is not supported (use float32, float64,"
                        + " int32 or int64, little-endian)"));
        if (group(file, FORTRAN, header, "fortran_order").equals("True")) {
            throw new NpyException(file + ": Fortran-ordered array; save it in C order (numpy.ascontiguousarray)");
        }
        int[] shape = parseShape(file, group(file, SHAPE, header, "shape"));
        long expected;
        try {
            expected = (long) Shapes.numel(shape) * type.byteSize();
        } catch (IllegalArgumentException e) {
            throw new NpyException(file + ": array too large (" + e.getMessage() + ")");
        }
        int dataStart = headerStart + headerLength;
        if (length - dataStart < expected) {
            throw new NpyException(file + ": truncated: shape " + Shapes.format(shape) + " of " + type.descr()
                    + " needs " + expected + " bytes of data, found " + (length - dataStart));
        }
        ByteBuffer data = buffer.duplicate().position(dataStart).limit(dataStart + (int) expected).slice();
        return new NpyArray(file, type, shape, data);
    }

    /** Writes a float32 array in C order, through a temporary file renamed into place. */
    public static void writeFloat32(Path file, int[] shape, float[] values) throws IOException {
        write(file, NpyType.FLOAT32, shape, values.length, data -> data.asFloatBuffer().put(values));
    }

    /** Writes a float64 array in C order, through a temporary file renamed into place. */
    public static void writeFloat64(Path file, int[] shape, double[] values) throws IOException {
        write(file, NpyType.FLOAT64, shape, values.length, data -> data.asDoubleBuffer().put(values));
    }

    /** Writes an int32 array in C order, through a temporary file renamed into place. */
    public static void writeInt32(Path file, int[] shape, int[] values) throws IOException {
        write(file, NpyType.INT32, shape, values.length, data -> data.asIntBuffer().put(values));
    }

    /** Writes an int64 array in C order, through a temporary file renamed into place. */
    public static void writeInt64(Path file, int[] shape, long[] values) throws IOException {
        write(file, NpyType.INT64, shape, values.length, data -> data.asLongBuffer().put(values));
    }

    private static void write(Path file, NpyType type, int[] shape, int count, Consumer<ByteBuffer> fill)
            throws IOException {
        checkLength(shape, count);
        ByteBuffer data = ByteBuffer.allocate(count * type.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        fill.accept(data);
        write(file, type, shape, data.array());
    }

    private static void write(Path file, NpyType type, int[] shape, byte[] data) throws IOException {
        StringBuilder dims = new StringBuilder();
        for (int s : shape) {
            dims.append(s).append(", ");
        }
        String shapeText = shape.length == 1 ? dims.substring(0, dims.length() - 1)
                : dims.length() > 0 ? dims.substring(0, dims.length() - 2) : "";
        String dict = "{'descr': '" + type.descr() + "', 'fortran_order': False, 'shape': (" + shapeText + "), }";
        int unpadded = MAGIC.length + 4 + dict.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(padding) + "\n";
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 4 + header.length() + data.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length())
                .put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.write(temp, out.array());
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void checkLength(int[] shape, int length) {
        if (Shapes.numel(shape) != length) {
            throw new IllegalArgumentException("shape " + Shapes.format(shape) + " needs " + Shapes.numel(shape)
                    + " values, got " + length);
        }
    }

    private static boolean startsWithMagic(ByteBuffer bytes) {
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes.get(i) != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    private static String group(Path file, Pattern pattern, String header, String key) throws NpyException {
        Matcher m = pattern.matcher(header);
        if (!m.find()) {
            throw new NpyException(file + ": corrupt .npy header (no '" + key + "'): " + header.trim());
        }
        return m.group(1);
    }

    private static int[] parseShape(Path file, String text) throws NpyException {
        String[] parts = text.split(",");
        int count = 0;
        int[] shape = new int[parts.length];
        for (String part : parts) {
            String trimmed = part.trim().replace("L", "");
            if (trimmed.isEmpty()) {
                continue;
            }
            try {
                shape[count] = Integer.parseInt(trimmed);
            } catch (NumberFormatException e) {
                throw new NpyException(file + ": corrupt .npy shape (" + text + ")");
            }
            if (shape[count] < 0) {
                throw new NpyException(file + ": negative dimension in shape (" + text + ")");
            }
            count++;
        }
        return java.util.Arrays.copyOf(shape, count);
    }
}
