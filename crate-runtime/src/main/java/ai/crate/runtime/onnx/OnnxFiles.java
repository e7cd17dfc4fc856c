package ai.crate.runtime.onnx;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes an exported model to disk, atomically. When its weights exceed what one protobuf may hold (2 GiB), or when
 * asked, initializers move to ONNX external data: a {@code <file>.data} beside the model, 64-byte aligned, referenced
 * by {@code location}, {@code offset} and {@code length}, as ONNX Runtime and TensorRT read it.
 */
public final class OnnxFiles {
    /** Above this many bytes of initializers, external data is used. */
    public static final long EXTERNAL_DATA_THRESHOLD = 1_800_000_000L;
    private static final int SMALL = 1024;
    private static final int ALIGN = 64;

    private OnnxFiles() {
    }

    /** Writes the model, with external data only if it is too large for a single file. */
    public static void write(OnnxMl.ModelProto model, Path file) throws IOException {
        write(model, file, initializerBytes(model) > EXTERNAL_DATA_THRESHOLD);
    }

    public static void write(OnnxMl.ModelProto model, Path file, boolean externalData) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        OnnxMl.ModelProto toWrite = model;
        Path dataFile = file.resolveSibling(file.getFileName() + ".data");
        if (externalData) {
            toWrite = externalise(model, dataFile);
        }
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 20)) {
                toWrite.writeTo(out);
            }
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Total raw bytes of the model's initializers. */
    public static long initializerBytes(OnnxMl.ModelProto model) {
        long total = 0;
        for (OnnxMl.TensorProto tensor : model.getGraph().getInitializerList()) {
            total += tensor.getRawData().size();
        }
        return total;
    }

    private static OnnxMl.ModelProto externalise(OnnxMl.ModelProto model, Path dataFile) throws IOException {
        OnnxMl.GraphProto.Builder graph = model.getGraph().toBuilder().clearInitializer();
        Path temp = dataFile.resolveSibling(dataFile.getFileName() + ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 20)) {
                long offset = 0;
                for (OnnxMl.TensorProto tensor : model.getGraph().getInitializerList()) {
                    ByteString raw = tensor.getRawData();
                    if (raw.size() < SMALL) {
                        graph.addInitializer(tensor);
                        continue;
                    }
                    long padding = (ALIGN - offset % ALIGN) % ALIGN;
                    out.write(new byte[(int) padding]);
                    offset += padding;
                    raw.writeTo(out);
                    graph.addInitializer(tensor.toBuilder().clearRawData()
                            .setDataLocation(OnnxMl.TensorProto.DataLocation.EXTERNAL)
                            .addExternalData(entry("location", dataFile.getFileName().toString()))
                            .addExternalData(entry("offset", Long.toString(offset)))
                            .addExternalData(entry("length", Integer.toString(raw.size()))));
                    offset += raw.size();
                }
            }
            Files.move(temp, dataFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
        return model.toBuilder().setGraph(graph).build();
    }

    private static OnnxMl.StringStringEntryProto entry(String key, String value) {
        return OnnxMl.StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }
}
