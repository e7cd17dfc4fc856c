package ai.crate.runtime.engine.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The non-product work of the fast engine, one row at a time on off-heap buffers with the JDK's Vector API: LayerNorm
 * (with or without its affine), bias, ReLU, residual add and softmax. Offsets are in floats.
 */
final class RowOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int STEP = S.length();
    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5·2²³: adding it rounds a float below 2²² to the nearest integer, held in the low mantissa bits. */
    private static final float ROUNDING = 12582912f;
    private static final int ROUNDING_BITS = Float.floatToRawIntBits(ROUNDING);
    private static final float MINUS_LN2_HIGH = -0.693359375f;
    private static final float MINUS_LN2_LOW = 2.12194440e-4f;
    private static final float EXP_P0 = 1.9875691500e-4f;
    private static final float EXP_P1 = 1.3981999507e-3f;
    private static final float EXP_P2 = 8.3334519073e-3f;
    private static final float EXP_P3 = 4.1665795894e-2f;
    private static final float EXP_P4 = 1.6666665459e-1f;
    private static final float EXP_P5 = 5.0000001201e-1f;

    private RowOps() {
    }

    /**
     * {@code exp(x)} for the softmax's shifted scores ({@code x ≤ 0}, −∞ included), within 2 ulp: Cody-Waite reduction
     * to {@code x = n·ln 2 + r}, {@code |r| ≤ ln 2 / 2}, Cephes' degree-5 polynomial for {@code e^r}, and {@code 2^n}
     * added to the exponent bits. Inputs below −86 give {@code e^−86} (4·10⁻³⁸), which no softmax sum can tell from 0.
     */
    static FloatVector expNonPositive(FloatVector x) {
        FloatVector clamped = x.max(-86f);
        FloatVector shifted = clamped.fma(LOG2E, ROUNDING);
        FloatVector n = shifted.sub(ROUNDING);
        FloatVector r = n.mul(MINUS_LN2_HIGH).add(clamped).add(n.mul(MINUS_LN2_LOW));
        FloatVector p = r.fma(EXP_P0, EXP_P1).mul(r).add(EXP_P2).mul(r).add(EXP_P3).mul(r).add(EXP_P4).mul(r)
                .add(EXP_P5);
        FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
        IntVector exponent = shifted.reinterpretAsInts().sub(ROUNDING_BITS).lanewise(VectorOperators.LSHL, 23);
        return y.reinterpretAsInts().add(exponent).reinterpretAsFloats();
    }

    /** {@code n} rounded up to a whole number of vectors. */
    static int paddedLength(int n) {
        return (n + STEP - 1) / STEP * STEP;
    }

    /**
     * Softmax numerators of a row of {@code length} values padded to {@code paddedLength}, a whole number of vectors,
     * with −∞: {@code exp(x − max)} in place, returning the sum; the padding is −∞ again on return.
     */
    static float softmaxNumeratorsPadded(ByteBuffer data, long offset, int length, int paddedLength) {
        int base = (int) (offset * 4);
        FloatVector maxV = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < paddedLength; i += STEP) {
            maxV = maxV.max(FloatVector.fromByteBuffer(S, data, base + i * 4, ORDER));
        }
        FloatVector shift = FloatVector.broadcast(S, maxV.reduceLanes(VectorOperators.MAX));
        FloatVector sumV = FloatVector.zero(S);
        for (int i = 0; i < paddedLength; i += STEP) {
            FloatVector e = expNonPositive(FloatVector.fromByteBuffer(S, data, base + i * 4, ORDER).sub(shift));
            sumV = sumV.add(e);
            e.intoByteBuffer(data, base + i * 4, ORDER);
        }
        for (int i = length; i < paddedLength; i++) {
            data.putFloat(base + i * 4, Float.NEGATIVE_INFINITY);
        }
        return sumV.reduceLanes(VectorOperators.ADD);
    }

    /** {@code out = (x − mean) / sqrt(var + eps) · γ + β} over one row; {@code gamma}/{@code beta} null for none. */
    static void layerNorm(ByteBuffer in, long inOffset, ByteBuffer out, long outOffset, int n, float[] gamma,
            float[] beta, float eps) {
        int src = (int) (inOffset * 4);
        int bound = S.loopBound(n);
        FloatVector sumV = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += STEP) {
            sumV = sumV.add(FloatVector.fromByteBuffer(S, in, src + i * 4, ORDER));
        }
        float sum = sumV.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += in.getFloat(src + i * 4);
        }
        normalizeCentred(in, src, n, sum / n, out, (int) (outOffset * 4), gamma, beta, eps);
    }

    /**
     * {@code row += bias} (then {@code max(row, 0)} with {@code relu}) in place, and its LayerNorm into {@code out}
     * (with {@code γ}, {@code β} unless null): the bias pass also sums the row, so the norm needs two more passes, not
     * three.
     */
    static void addBiasThenNorm(ByteBuffer data, long offset, int n, float[] bias, boolean relu, ByteBuffer out,
            long outOffset, float[] gamma, float[] beta, float eps) {
        float sum = addBias(data, offset, n, bias, relu);
        normalizeCentred(data, (int) (offset * 4), n, sum / n, out, (int) (outOffset * 4), gamma, beta, eps);
    }

    /**
     * The two passes of a LayerNorm once the mean is known: centred variance, then normalise (and apply
     * {@code γ}, {@code β} unless null). Offsets in bytes.
     */
    private static void normalizeCentred(ByteBuffer in, int src, int n, float mean, ByteBuffer out, int dst,
            float[] gamma, float[] beta, float eps) {
        int bound = S.loopBound(n);
        FloatVector meanV = FloatVector.broadcast(S, mean);
        FloatVector squaresV = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += STEP) {
            FloatVector centred = FloatVector.fromByteBuffer(S, in, src + i * 4, ORDER).sub(meanV);
            squaresV = centred.fma(centred, squaresV);
        }
        float squares = squaresV.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float centred = in.getFloat(src + i * 4) - mean;
            squares += centred * centred;
        }
        float rstd = (float) (1.0 / Math.sqrt(squares / n + eps));
        FloatVector rstdV = FloatVector.broadcast(S, rstd);
        for (i = 0; i < bound; i += STEP) {
            FloatVector y = FloatVector.fromByteBuffer(S, in, src + i * 4, ORDER).sub(meanV).mul(rstdV);
            if (gamma != null) {
                y = y.fma(FloatVector.fromArray(S, gamma, i), FloatVector.fromArray(S, beta, i));
            }
            y.intoByteBuffer(out, dst + i * 4, ORDER);
        }
        for (; i < n; i++) {
            float y = (in.getFloat(src + i * 4) - mean) * rstd;
            out.putFloat(dst + i * 4, gamma != null ? y * gamma[i] + beta[i] : y);
        }
    }

    /** {@code row += bias}, and with {@code relu} then {@code row = max(row, 0)}; returns the new row's sum. */
    static float addBias(ByteBuffer data, long offset, int n, float[] bias, boolean relu) {
        int base = (int) (offset * 4);
        int bound = S.loopBound(n);
        FloatVector sumV = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += STEP) {
            FloatVector v = FloatVector.fromByteBuffer(S, data, base + i * 4, ORDER).add(FloatVector.fromArray(S, bias,
                    i));
            if (relu) {
                v = v.max(0f);
            }
            v.intoByteBuffer(data, base + i * 4, ORDER);
            sumV = sumV.add(v);
        }
        float sum = sumV.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float v = data.getFloat(base + i * 4) + bias[i];
            if (relu) {
                v = Math.max(v, 0f);
            }
            data.putFloat(base + i * 4, v);
            sum += v;
        }
        return sum;
    }

    /** {@code target += source} over one row. */
    static void add(ByteBuffer target, long targetOffset, ByteBuffer source, long sourceOffset, int n) {
        int t = (int) (targetOffset * 4);
        int s = (int) (sourceOffset * 4);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += STEP) {
            FloatVector.fromByteBuffer(S, target, t + i * 4, ORDER)
                    .add(FloatVector.fromByteBuffer(S, source, s + i * 4, ORDER)).intoByteBuffer(target, t + i * 4, ORDER);
        }
        for (; i < n; i++) {
            target.putFloat(t + i * 4, target.getFloat(t + i * 4) + source.getFloat(s + i * 4));
        }
    }

    /** {@code row = a + b} with {@code a} a heap row (e.g. a position embedding row). */
    static void addHeap(ByteBuffer target, long targetOffset, float[] a, int aOffset, int n) {
        int t = (int) (targetOffset * 4);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += STEP) {
            FloatVector.fromByteBuffer(S, target, t + i * 4, ORDER).add(FloatVector.fromArray(S, a, aOffset + i))
                    .intoByteBuffer(target, t + i * 4, ORDER);
        }
        for (; i < n; i++) {
            target.putFloat(t + i * 4, target.getFloat(t + i * 4) + a[aOffset + i]);
        }
    }

    /** {@code row *= factor}. */
    static void scale(ByteBuffer data, long offset, int n, float factor) {
        int base = (int) (offset * 4);
        int bound = S.loopBound(n);
        FloatVector f = FloatVector.broadcast(S, factor);
        int i = 0;
        for (; i < bound; i += STEP) {
            FloatVector.fromByteBuffer(S, data, base + i * 4, ORDER).mul(f).intoByteBuffer(data, base + i * 4, ORDER);
        }
        for (; i < n; i++) {
            data.putFloat(base + i * 4, data.getFloat(base + i * 4) * factor);
        }
    }

    /** LayerNorm without affine of a heap row in place. */
    static void layerNorm(float[] row, int offset, int n, float eps) {
        int bound = S.loopBound(n);
        FloatVector sumV = FloatVector.zero(S);
        int i = 0;
        for (; i < bound; i += STEP) {
            sumV = sumV.add(FloatVector.fromArray(S, row, offset + i));
        }
        float sum = sumV.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += row[offset + i];
        }
        float mean = sum / n;
        FloatVector meanV = FloatVector.broadcast(S, mean);
        FloatVector squaresV = FloatVector.zero(S);
        for (i = 0; i < bound; i += STEP) {
            FloatVector centred = FloatVector.fromArray(S, row, offset + i).sub(meanV);
            squaresV = centred.fma(centred, squaresV);
        }
        float squares = squaresV.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float centred = row[offset + i] - mean;
            squares += centred * centred;
        }
        float rstd = (float) (1.0 / Math.sqrt(squares / n + eps));
        FloatVector rstdV = FloatVector.broadcast(S, rstd);
        for (i = 0; i < bound; i += STEP) {
            FloatVector.fromArray(S, row, offset + i).sub(meanV).mul(rstdV).intoArray(row, offset + i);
        }
        for (; i < n; i++) {
            row[offset + i] = (row[offset + i] - mean) * rstd;
        }
    }
}
