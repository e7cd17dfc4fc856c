package ai.crate.runtime.checkpoint;

import ai.crate.runtime.tensor.Tensor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes float32 tensors as a {@code .safetensors} file, keys sorted, data 8-byte aligned, through a temporary
 * file renamed into place so a crash never leaves a half-written file under the final name.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int CHUNK_FLOATS = 1 << 20;

    private SafetensorsWriter() {
    }

    public static void write(Path file, Collection<Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        List<Tensor> sorted = tensors.stream().sorted(Comparator.comparing(Tensor::name))
                .collect(Collectors.toList());
        ObjectNode header = MAPPER.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Tensor tensor : sorted) {
            ObjectNode info = header.putObject(tensor.name());
            info.put("dtype", "F32");
            ArrayNode shape = info.putArray("shape");
            for (int s : tensor.shape()) {
                shape.add(s);
            }
            ArrayNode offsets = info.putArray("data_offsets");
            offsets.add(offset);
            offset += 4L * tensor.numel();
            offsets.add(offset);
        }
        byte[] json = MAPPER.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 8 + 7) / 8 * 8 - 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            writeData(temp, head, sorted);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void writeData(Path temp, ByteBuffer head, List<Tensor> sorted) throws IOException {
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(out, head);
            ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor tensor : sorted) {
                FloatBuffer source = tensor.buffer();
                while (source.hasRemaining()) {
                    chunk.clear();
                    FloatBuffer floats = chunk.asFloatBuffer();
                    int n = Math.min(floats.remaining(), source.remaining());
                    FloatBuffer slice = source.slice();
                    slice.limit(n);
                    floats.put(slice);
                    source.position(source.position() + n);
                    chunk.limit(n * 4);
                    writeFully(out, chunk);
                }
            }
            out.force(true);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }
}
