package ai.crate.runtime.checkpoint;

import ai.crate.runtime.tensor.StoredTensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads PyTorch {@code torch.save} zip archives ({@code .pth}, {@code .pth.tar}, {@code .pt}) without Python.
 * {@code data.pkl} is read by {@link TorchPickle}; each storage {@code data/N} that the state dict uses is
 * memory-mapped and CRC-checked, and tensors are views of it honouring offsets and strides. Storages of other entries
 * (optimizer state, for instance) are never touched.
 */
final class TorchCheckpointReader {
    private TorchCheckpointReader() {
    }

    static StateDict read(Path file) throws IOException, CheckpointException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ZipDirectory zip = ZipDirectory.read(file, channel);
            ZipDirectory.Entry pickleEntry = zip.entries().values().stream()
                    .filter(e -> e.name().equals("data.pkl") || e.name().endsWith("/data.pkl"))
                    .findFirst()
                    .orElseThrow(() -> new CheckpointException(file + ": a zip archive but not a torch.save"
                            + " checkpoint (no data.pkl entry)"));
            String prefix = pickleEntry.name().substring(0, pickleEntry.name().length() - "data.pkl".length());
            checkByteOrder(file, zip, prefix);
            ByteBuffer pickleBytes = zip.data(pickleEntry);
            byte[] pickle = new byte[pickleBytes.remaining()];
            pickleBytes.get(pickle);
            Object root = unpickle(file, pickle);
            StateDictLayout.Found<TorchPickle.TensorRef> found =
                    StateDictLayout.unwrap(file, root, TorchPickle.TensorRef.class);
            Map<String, ByteBuffer> storages = new HashMap<>();
            Map<String, StoredTensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, TorchPickle.TensorRef> entry : found.tensors().entrySet()) {
                TorchPickle.TensorRef ref = entry.getValue();
                ByteBuffer storage = storages.get(ref.storage().key());
                if (storage == null) {
                    storage = storage(file, zip, prefix, ref.storage());
                    storages.put(ref.storage().key(), storage);
                }
                StoredTensor tensor = new StoredTensor(entry.getKey(), ref.storage().dtype(), ref.shape(),
                        ref.strides(), ref.offset(), storage);
                long extent;
                try {
                    extent = tensor.extentInElements();
                } catch (IllegalStateException e) {
                    throw new CheckpointException(file + ": " + e.getMessage());
                }
                if (extent > ref.storage().numel()) {
                    throw new CheckpointException(file + ": tensor " + entry.getKey() + " reaches element "
                            + extent + " of a storage holding " + ref.storage().numel());
                }
                tensors.put(entry.getKey(), tensor);
            }
            return new StateDict(file, "torch zip, " + found.layout(), tensors);
        }
    }

    private static Object unpickle(Path file, byte[] pickle) throws CheckpointException {
        TorchPickle unpickler = new TorchPickle();
        try {
            return unpickler.loads(pickle);
        } catch (TorchPickle.UnsafePickleException e) {
            throw new CheckpointException(file + ": " + e.getMessage());
        } catch (IOException e) {
            throw new CheckpointException(file + ": corrupt data.pkl (" + e.getMessage() + ")", e);
        } catch (RuntimeException | StackOverflowError e) {
            throw new CheckpointException(file + ": corrupt data.pkl (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        } finally {
            unpickler.close();
        }
    }

    private static ByteBuffer storage(Path file, ZipDirectory zip, String prefix, TorchPickle.StorageRef ref)
            throws IOException, CheckpointException {
        ZipDirectory.Entry entry = zip.entries().get(prefix + "data/" + ref.key());
        if (entry == null) {
            throw new CheckpointException(file + ": storage data/" + ref.key() + " named in data.pkl is missing"
                    + " from the archive (truncated or damaged checkpoint)");
        }
        if (ref.numel() < 0 || ref.numel() > Integer.MAX_VALUE) {
            throw new CheckpointException(file + ": storage data/" + ref.key() + " claims " + ref.numel()
                    + " elements");
        }
        long needed = ref.numel() * ref.dtype().byteSize();
        if (entry.size() < needed) {
            throw new CheckpointException(file + ": storage data/" + ref.key() + " holds " + entry.size()
                    + " bytes but data.pkl says " + ref.numel() + " " + ref.dtype() + " elements (" + needed
                    + " bytes)");
        }
        return zip.data(entry);
    }

    private static void checkByteOrder(Path file, ZipDirectory zip, String prefix)
            throws IOException, CheckpointException {
        ZipDirectory.Entry entry = zip.entries().get(prefix + "byteorder");
        if (entry == null) {
            return;
        }
        ByteBuffer data = zip.data(entry);
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        String order = new String(bytes, StandardCharsets.US_ASCII).trim();
        if (!order.equals("little")) {
            throw new CheckpointException(file + ": saved on a " + order + "-endian machine; only little-endian"
                    + " checkpoints are supported (re-save it on x86 or ARM)");
        }
    }
}
