package ai.crate.calibration;

import ai.crate.runtime.quant.Int8;
import ai.crate.runtime.quant.QuantizationTable;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * TensorRT's calibration-cache text format, for deployments that still build INT8 engines through the implicit
 * (calibrator) path: a header line {@code TRT-<version>-<algorithm>}, then one line per tensor, {@code <tensor name>:
 * <scale>}, the scale (amax / 127) written as the 8 hex digits of its IEEE-754 float32 bits. A calibrator whose
 * {@code readCalibrationCache} returns this text (with the same algorithm, {@code IInt8EntropyCalibrator2} for the
 * default) makes TensorRT use these ranges instead of calibrating; tensor names are those of the FP32 fused ONNX
 * export.
 */
public final class TensorRtCalibrationCache {
    /** TensorRT 10.12, as {@code NV_TENSORRT_VERSION} encodes it (major·10000 + minor·100 + patch). */
    public static final int TENSORRT_VERSION = 101200;
    public static final String ENTROPY_CALIBRATION_2 = "EntropyCalibration2";

    private TensorRtCalibrationCache() {
    }

    /** The cache of {@code table}: every calibrated activation, including those of float layers (TensorRT may use them). */
    public static String write(QuantizationTable table, String algorithm) {
        StringBuilder text = new StringBuilder("TRT-" + TENSORRT_VERSION + "-" + algorithm + "\n");
        table.amax().forEach((tensor, amax) -> text.append(tensor).append(": ").append(hex(Int8.scale(amax)))
                .append('\n'));
        return text.toString();
    }

    public static String hex(float scale) {
        return String.format(Locale.ROOT, "%08x", Float.floatToRawIntBits(scale));
    }

    /** A parsed cache: its header's version and algorithm, and the scale of every tensor in file order. */
    public record Cache(int version, String algorithm, Map<String, Float> scales) {
    }

    /** Parses a cache; fails naming the line that does not follow the format. */
    public static Cache read(String text, String source) throws CalibrationException {
        String[] lines = text.split("\n");
        String header = lines.length == 0 ? "" : lines[0].strip();
        String[] parts = header.split("-", 3);
        if (parts.length != 3 || !parts[0].equals("TRT")) {
            throw new CalibrationException(source + ": line 1 is '" + header
                    + "', not a TensorRT calibration cache header (TRT-<version>-<algorithm>)");
        }
        int version;
        try {
            version = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new CalibrationException(source + ": line 1: version '" + parts[1] + "' is not a number");
        }
        Map<String, Float> scales = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.lastIndexOf(": ");
            if (colon <= 0) {
                throw new CalibrationException(source + ": line " + (i + 1) + " is '" + line
                        + "', expected '<tensor>: <8 hex digits>'");
            }
            String hex = line.substring(colon + 2);
            if (!hex.matches("[0-9a-fA-F]{8}")) {
                throw new CalibrationException(source + ": line " + (i + 1) + ": '" + hex
                        + "' is not 8 hex digits");
            }
            scales.put(line.substring(0, colon), Float.intBitsToFloat(Integer.parseUnsignedInt(hex, 16)));
        }
        return new Cache(version, parts[2], scales);
    }
}
