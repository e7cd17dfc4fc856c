package ai.crate.runtime.testing;

import ai.crate.runtime.tensor.StoredTensor;
import ai.crate.runtime.tensor.Tensor;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes checkpoints the way {@code torch.save} does (zip archive, protocol-2 {@code data.pkl}, one stored entry per
 * storage) in the authors' training layout {@code {'state_dict': OrderedDict('module.'+key -> tensor), 'epoch': 1}},
 * so large and unusual checkpoints can be made in Java tests. Tensors named in {@code transposed} are stored as
 * their transpose and described with swapped strides, as PyTorch saves a non-contiguous view.
 */
public final class TorchZipWriter {
    private TorchZipWriter() {
    }

    public static void write(Path file, Map<String, Tensor> tensors, Set<String> transposed) throws IOException {
        String archive = "archive/";
        List<byte[]> storages = new ArrayList<>();
        ByteArrayOutputStream pickle = new ByteArrayOutputStream();
        pickle.write(new byte[] {(byte) 0x80, 2, '}', '('});
        unicode(pickle, "state_dict");
        global(pickle, "collections", "OrderedDict");
        pickle.write(new byte[] {')', 'R', '('});
        for (Tensor tensor : tensors.values()) {
            boolean transpose = transposed.contains(tensor.name()) && tensor.rank() == 2;
            float[] values = tensor.toArray();
            int[] shape = tensor.shape();
            long[] strides = StoredTensor.contiguousStrides(shape);
            if (transpose) {
                int rows = shape[0];
                int cols = shape[1];
                float[] t = new float[values.length];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        t[c * rows + r] = values[r * cols + c];
                    }
                }
                values = t;
                strides = new long[] {1, rows};
            }
            ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            storages.add(bytes.array());
            tensorEntry(pickle, "module." + tensor.name(), storages.size() - 1, values.length, 0, shape,
                    strides);
        }
        pickle.write('u');
        unicode(pickle, "epoch");
        binint(pickle, 1);
        pickle.write(new byte[] {'u', '.'});

        try (OutputStream file0 = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20);
                ZipOutputStream zip = new ZipOutputStream(file0)) {
            stored(zip, archive + "data.pkl", pickle.toByteArray());
            stored(zip, archive + "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < storages.size(); i++) {
                stored(zip, archive + "data/" + i, storages.get(i));
            }
            stored(zip, archive + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** Writes an archive holding exactly this {@code data.pkl} and these storages, for tests of malformed pickles. */
    public static void writeRaw(Path file, byte[] pickle, List<byte[]> storages) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file));
                ZipOutputStream zip = new ZipOutputStream(out)) {
            stored(zip, "archive/data.pkl", pickle);
            for (int i = 0; i < storages.size(); i++) {
                stored(zip, "archive/data/" + i, storages.get(i));
            }
        }
    }

    /** The pickle of {@code {'w': tensor}} over storage 0 of {@code numel} floats with the given view. */
    public static byte[] tensorPickle(int numel, int offset, int[] shape, int[] strides) {
        ByteArrayOutputStream pickle = new ByteArrayOutputStream();
        pickle.write(new byte[] {(byte) 0x80, 2, '}', '('}, 0, 4);
        tensorEntry(pickle, "w", 0, numel, offset, shape, java.util.Arrays.stream(strides).asLongStream().toArray());
        pickle.write('u');
        pickle.write('.');
        return pickle.toByteArray();
    }

    /** {@code key, _rebuild_tensor_v2(storage, offset, shape, strides, False, OrderedDict())} onto the stack. */
    private static void tensorEntry(ByteArrayOutputStream pickle, String key, int storage, int numel, int offset,
            int[] shape, long[] strides) {
        unicode(pickle, key);
        global(pickle, "torch._utils", "_rebuild_tensor_v2");
        pickle.write('(');
        pickle.write('(');
        unicode(pickle, "storage");
        global(pickle, "torch", "FloatStorage");
        unicode(pickle, String.valueOf(storage));
        unicode(pickle, "cpu");
        binint(pickle, numel);
        pickle.write('t');
        pickle.write('Q');
        binint(pickle, offset);
        pickle.write('(');
        for (int s : shape) {
            binint(pickle, s);
        }
        pickle.write('t');
        pickle.write('(');
        for (long s : strides) {
            binint(pickle, (int) s);
        }
        pickle.write('t');
        pickle.write(0x89);
        global(pickle, "collections", "OrderedDict");
        pickle.write(')');
        pickle.write('R');
        pickle.write('t');
        pickle.write('R');
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        entry.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }

    private static void unicode(ByteArrayOutputStream out, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.write('X');
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length).array());
        out.writeBytes(bytes);
    }

    private static void global(ByteArrayOutputStream out, String module, String name) {
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void binint(ByteArrayOutputStream out, int value) {
        out.write('J');
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
    }
}
