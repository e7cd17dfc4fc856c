package ai.crate.runtime.checkpoint;

import ai.crate.runtime.tensor.DType;
import ai.crate.runtime.tensor.Shapes;
import ai.crate.runtime.tensor.StoredTensor;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads {@code .safetensors} files: an 8-byte little-endian header length, a JSON header of
 * {@code {"name": {"dtype", "shape", "data_offsets"}}}, then the data. Each tensor is a read-only memory-mapped view
 * of the file; nothing is copied.
 */
final class SafetensorsReader {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long MAX_HEADER = 100L * 1024 * 1024;

    private SafetensorsReader() {
    }

    /** The header's {@code __metadata__} (string values), empty when it has none. */
    static Map<String, String> metadata(Path file) throws IOException, CheckpointException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            JsonNode meta = header(file, channel).json().get("__metadata__");
            Map<String, String> out = new LinkedHashMap<>();
            if (meta != null && meta.isObject()) {
                meta.properties().forEach(field -> out.put(field.getKey(), field.getValue().asText()));
            }
            return out;
        }
    }

    static StateDict read(Path file) throws IOException, CheckpointException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            Header parsed = header(file, channel);
            JsonNode header = parsed.json();
            long dataStart = parsed.dataStart();
            long dataSize = size - dataStart;
            Map<String, StoredTensor> tensors = new LinkedHashMap<>();
            TreeMap<Long, String> starts = new TreeMap<>();
            for (Map.Entry<String, JsonNode> field : header.properties()) {
                if (field.getKey().equals("__metadata__")) {
                    continue;
                }
                StoredTensor tensor = tensor(file, channel, field.getKey(), field.getValue(), dataStart, dataSize);
                long begin = field.getValue().get("data_offsets").get(0).asLong();
                long bytes = (long) tensor.numel() * tensor.dtype().byteSize();
                String previous = bytes > 0 ? starts.put(begin, field.getKey()) : null;
                if (previous != null) {
                    throw new CheckpointException(file + ": tensors " + previous + " and " + field.getKey()
                            + " overlap (corrupt header)");
                }
                tensors.put(field.getKey(), tensor);
            }
            long end = 0;
            for (Map.Entry<Long, String> start : starts.entrySet()) {
                if (start.getKey() != end) {
                    throw new CheckpointException(file + ": corrupt header: tensor " + start.getValue() + " starts at"
                            + " byte " + start.getKey() + " of the data, expected " + end + " (gap or overlap)");
                }
                end += (long) tensors.get(start.getValue()).numel() * tensors.get(start.getValue()).dtype().byteSize();
            }
            StateDictLayout.Found<StoredTensor> found = StateDictLayout.stripModulePrefix("bare", tensors);
            Map<String, StoredTensor> renamed = new LinkedHashMap<>();
            found.tensors().forEach((key, t) -> renamed.put(key, rename(t, key)));
            return new StateDict(file, "safetensors, " + found.layout(), renamed);
        }
    }

    /** The parsed JSON header and the offset where the tensor data starts. */
    private record Header(JsonNode json, long dataStart) {
    }

    private static Header header(Path file, FileChannel channel) throws IOException, CheckpointException {
        long size = channel.size();
        if (size < 8) {
            throw new CheckpointException(file + ": truncated safetensors file (" + size + " bytes)");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lengthBytes, 0);
        long headerLength = lengthBytes.getLong(0);
        if (headerLength <= 0 || headerLength > MAX_HEADER || 8 + headerLength > size) {
            throw new CheckpointException(file + ": not a safetensors file or truncated (header length "
                    + headerLength + " in a " + size + "-byte file)");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(channel, headerBytes, 8);
        JsonNode header;
        try {
            header = MAPPER.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file + ": corrupt safetensors header (" + e.getOriginalMessage() + ")");
        }
        if (header == null || !header.isObject()) {
            throw new CheckpointException(file + ": corrupt safetensors header (not a JSON object)");
        }
        return new Header(header, 8 + headerLength);
    }

    private static StoredTensor tensor(Path file, FileChannel channel, String name, JsonNode info, long dataStart,
            long dataSize) throws IOException, CheckpointException {
        JsonNode dtypeNode = info.get("dtype");
        JsonNode shapeNode = info.get("shape");
        JsonNode offsets = info.get("data_offsets");
        if (dtypeNode == null || shapeNode == null || !shapeNode.isArray() || offsets == null || !offsets.isArray()
                || offsets.size() != 2) {
            throw new CheckpointException(file + ": corrupt safetensors header entry for " + name
                    + " (needs dtype, shape and data_offsets [begin, end])");
        }
        DType dtype = DType.fromSafetensors(dtypeNode.asText()).orElseThrow(() -> new CheckpointException(
                file + ": tensor " + name + " has unsupported dtype " + dtypeNode.asText()));
        int[] shape = new int[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!shapeNode.get(i).canConvertToInt() || shapeNode.get(i).intValue() < 0) {
                throw new CheckpointException(file + ": tensor " + name + " has invalid shape " + shapeNode);
            }
            shape[i] = shapeNode.get(i).intValue();
        }
        long begin = offsets.get(0).asLong(-1);
        long end = offsets.get(1).asLong(-1);
        long expected;
        try {
            expected = (long) Shapes.numel(shape) * dtype.byteSize();
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": tensor " + name + " is too large (" + e.getMessage() + ")");
        }
        if (begin < 0 || end < begin || end - begin != expected) {
            throw new CheckpointException(file + ": tensor " + name + " has data_offsets [" + begin + ", " + end
                    + "] but shape " + Shapes.format(shape) + " of " + dtype + " needs " + expected + " bytes");
        }
        if (end > dataSize) {
            throw new CheckpointException(file + ": truncated (tensor " + name + " ends at byte " + end
                    + " of a data section of " + dataSize + " bytes)");
        }
        ByteBuffer data = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, end - begin);
        return StoredTensor.contiguous(name, dtype, shape, data);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static StoredTensor rename(StoredTensor tensor, String name) {
        return tensor.name().equals(name) ? tensor : tensor.renamed(name);
    }
}
