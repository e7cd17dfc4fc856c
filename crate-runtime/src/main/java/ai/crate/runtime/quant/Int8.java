package ai.crate.runtime.quant;

/**
 * Symmetric INT8 as TensorRT and ONNX's {@code QuantizeLinear} compute it: zero point 0, {@code q = clamp(rint(x /
 * scale), -128, 127)}, {@code x' = q·scale}; ties round to even. Weights of shape {@code [in, out]} (row-major, as the
 * fused graph multiplies {@code x·W}) get one scale per output column.
 */
public final class Int8 {
    public static final int MAX = 127;

    private Int8() {
    }

    /** The scale that maps {@code amax} to 127; a zero range gets scale 1 so every value quantizes to 0 exactly. */
    public static float scale(double amax) {
        if (!(amax >= 0) || Double.isInfinite(amax)) {
            throw new IllegalArgumentException("a quantization range must be finite and >= 0, got " + amax);
        }
        return amax == 0 ? 1f : (float) (amax / MAX);
    }

    public static byte quantize(float value, float scale) {
        float q = (float) Math.rint(value / scale);
        return (byte) Math.max(-128f, Math.min(127f, q));
    }

    public static float fakeQuantize(float value, float scale) {
        return quantize(value, scale) * scale;
    }

    /** Quantizes then dequantizes {@code values[offset, offset+length)} in place. */
    public static void fakeQuantize(float[] values, int offset, int length, float scale) {
        for (int i = offset; i < offset + length; i++) {
            values[i] = fakeQuantize(values[i], scale);
        }
    }

    /** One scale per output column of {@code weights [in, out]}, from the column's largest magnitude. */
    public static float[] columnScales(float[] weights, int in, int out) {
        requireShape(weights, in, out);
        double[] amax = new double[out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                amax[j] = Math.max(amax[j], Math.abs(weights[i * out + j]));
            }
        }
        float[] scales = new float[out];
        for (int j = 0; j < out; j++) {
            scales[j] = scale(amax[j]);
        }
        return scales;
    }

    /** {@code weights [in, out]} quantized with one scale per column. */
    public static byte[] quantizeColumns(float[] weights, int in, int out, float[] scales) {
        requireShape(weights, in, out);
        byte[] q = new byte[in * out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                q[i * out + j] = quantize(weights[i * out + j], scales[j]);
            }
        }
        return q;
    }

    /** A copy of {@code weights [in, out]} quantized and dequantized per column: what the INT8 graph multiplies by. */
    public static float[] fakeQuantizeColumns(float[] weights, int in, int out) {
        float[] scales = columnScales(weights, in, out);
        float[] copy = new float[in * out];
        for (int i = 0; i < in; i++) {
            for (int j = 0; j < out; j++) {
                copy[i * out + j] = fakeQuantize(weights[i * out + j], scales[j]);
            }
        }
        return copy;
    }

    private static void requireShape(float[] weights, int in, int out) {
        if (weights.length != in * out) {
            throw new IllegalArgumentException("weights hold " + weights.length + " values, not " + in + "×" + out);
        }
    }
}
