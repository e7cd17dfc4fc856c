package ai.crate.calibration;

import ai.crate.runtime.bundle.BundleException;
import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.checkpoint.CheckpointException;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.onnx.OnnxExportOptions;
import ai.crate.runtime.onnx.OnnxExporter;
import ai.crate.runtime.quant.QuantizationTable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes what calibration produced, in one of two forms: an {@code .onnx} path gets the Q/DQ model there with the
 * table ({@code .calibration.json}) and TensorRT cache ({@code .calibration.cache}) beside it; a directory gets a copy
 * of the model's bundle with {@value #INT8_ONNX}, {@value QuantizationTable#FILE} and {@value #TENSORRT_CACHE} added
 * and listed in its manifest. {@link #check} is meant to run before calibrating, so a bad output fails early.
 */
public final class CalibrationOutputs {
    public static final String INT8_ONNX = "model-int8.onnx";
    public static final String TENSORRT_CACHE = "calibration.cache";

    private CalibrationOutputs() {
    }

    public static boolean isOnnx(Path output) {
        return output.getFileName().toString().endsWith(".onnx");
    }

    /** Fails unless {@code output} can be written: an .onnx in an existing directory, or an empty or new directory. */
    public static void check(Path output, Path model) throws CalibrationException {
        if (isOnnx(output)) {
            Path parent = output.toAbsolutePath().getParent();
            if (!Files.isDirectory(parent) || !Files.isWritable(parent)) {
                throw new CalibrationException(output + ": directory " + parent + " does not exist or is not writable");
            }
            return;
        }
        if (!ModelBundle.isBundle(model)) {
            throw new CalibrationException(output + ": a bundle output needs a bundle as --model (" + model
                    + " is a checkpoint; `bin/crate import` makes a bundle of it), or give an .onnx output");
        }
        if (Files.exists(output)) {
            try (Stream<Path> children = Files.list(output)) {
                if (children.findAny().isPresent()) {
                    throw new CalibrationException(output + ": already exists and is not empty; choose another"
                            + " output or remove it");
                }
            } catch (IOException e) {
                throw new CalibrationException(output + ": exists and cannot be listed (" + e.getMessage() + ")");
            }
        }
    }

    /** Writes the outputs for {@code table}; returns the paths written. */
    public static List<Path> write(CrateWeights weights, QuantizationTable table, Path model, Path output)
            throws IOException, CalibrationException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(INT8_ONNX, OnnxExporter.export(weights, OnnxExportOptions.int8(table)).toByteArray());
        files.put(QuantizationTable.FILE, table.toJson().getBytes(StandardCharsets.UTF_8));
        files.put(TENSORRT_CACHE, TensorRtCalibrationCache.write(table, TensorRtCalibrationCache.ENTROPY_CALIBRATION_2)
                .getBytes(StandardCharsets.UTF_8));
        if (isOnnx(output)) {
            return writeBeside(output, files);
        }
        try {
            ModelBundle.copyWith(model, output, files);
        } catch (BundleException | CheckpointException e) {
            throw new CalibrationException(e.getMessage());
        }
        return List.of(output);
    }

    private static List<Path> writeBeside(Path onnx, Map<String, byte[]> files) throws IOException {
        String stem = onnx.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path directory = onnx.toAbsolutePath().getParent();
        Map<Path, byte[]> targets = new LinkedHashMap<>();
        targets.put(onnx, files.get(INT8_ONNX));
        targets.put(directory.resolve(stem + ".calibration.json"), files.get(QuantizationTable.FILE));
        targets.put(directory.resolve(stem + ".calibration.cache"), files.get(TENSORRT_CACHE));
        List<Path> temps = new ArrayList<>();
        try {
            for (byte[] content : targets.values()) {
                Path temp = Files.createTempFile(directory, "." + stem, ".tmp");
                temps.add(temp);
                Files.write(temp, content);
            }
            int i = 0;
            for (Path target : targets.keySet()) {
                Files.move(temps.get(i++), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            for (Path temp : temps) {
                Files.deleteIfExists(temp);
            }
        }
        return List.copyOf(targets.keySet());
    }
}
