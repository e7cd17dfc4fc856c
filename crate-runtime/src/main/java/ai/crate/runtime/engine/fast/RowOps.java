package ai.crate.runtime.engine.fast;

import jdk.incubator.vector.FloatVector;
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

    private RowOps() {
    }

    /** {@code out = (x − mean) / sqrt(var + eps) · γ + β} over one row; {@code gamma}/{@code beta} null for none. */
    static void layerNorm(ByteBuffer in, long inOffset, ByteBuffer out, long outOffset, int n, float[] gamma,
            float[] beta, float eps) {
        int src = (int) (inOffset * 4);
        int dst = (int) (outOffset * 4);
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
        float mean = sum / n;
        FloatVector meanV = FloatVector.broadcast(S, mean);
        FloatVector squaresV = FloatVector.zero(S);
        for (i = 0; i < bound; i += STEP) {
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

    /** {@code row += bias}, and with {@code relu} then {@code row = max(row, 0)}. */
    static void addBias(ByteBuffer data, long offset, int n, float[] bias, boolean relu) {
        int base = (int) (offset * 4);
        int bound = S.loopBound(n);
        int i = 0;
        for (; i < bound; i += STEP) {
            FloatVector v = FloatVector.fromByteBuffer(S, data, base + i * 4, ORDER).add(FloatVector.fromArray(S, bias,
                    i));
            if (relu) {
                v = v.max(0f);
            }
            v.intoByteBuffer(data, base + i * 4, ORDER);
        }
        for (; i < n; i++) {
            float v = data.getFloat(base + i * 4) + bias[i];
            data.putFloat(base + i * 4, relu ? Math.max(v, 0f) : v);
        }
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

    /** Softmax of one row in place, shifted by its maximum. */
    static void softmax(ByteBuffer data, long offset, int n) {
        int base = (int) (offset * 4);
        int bound = S.loopBound(n);
        FloatVector maxV = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i < bound; i += STEP) {
            maxV = maxV.max(FloatVector.fromByteBuffer(S, data, base + i * 4, ORDER));
        }
        float max = maxV.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            max = Math.max(max, data.getFloat(base + i * 4));
        }
        FloatVector shift = FloatVector.broadcast(S, max);
        FloatVector sumV = FloatVector.zero(S);
        for (i = 0; i < bound; i += STEP) {
            FloatVector e = FloatVector.fromByteBuffer(S, data, base + i * 4, ORDER).sub(shift)
                    .lanewise(VectorOperators.EXP);
            sumV = sumV.add(e);
            e.intoByteBuffer(data, base + i * 4, ORDER);
        }
        float sum = sumV.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(data.getFloat(base + i * 4) - max);
            sum += e;
            data.putFloat(base + i * 4, e);
        }
        FloatVector inverse = FloatVector.broadcast(S, 1f / sum);
        for (i = 0; i < bound; i += STEP) {
            FloatVector.fromByteBuffer(S, data, base + i * 4, ORDER).mul(inverse).intoByteBuffer(data, base + i * 4,
                    ORDER);
        }
        float inv = 1f / sum;
        for (; i < n; i++) {
            data.putFloat(base + i * 4, data.getFloat(base + i * 4) * inv);
        }
    }
}
