package ai.crate.runtime.engine.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One head's attention {@code softmax(scale·W·Wᵀ)·W} in register-blocked Vector API kernels on heap copies, for heads
 * whose exponentials can share one shift. The scores are symmetric and never exceed the largest diagonal entry, so
 * {@code E = exp(scale·W·Wᵀ − shift)} is symmetric: it is computed on an upper staircase of 8-row blocks only, and the
 * weighted sum reads each entry from whichever triangle holds it, summing the rows' normalisers on the way. One
 * instance per worker; {@link #apply} returns {@code false}, having written nothing, when a row's own scores lie so far
 * below the shared shift that its exponentials would underflow, and the caller then takes a path with a shift per row.
 */
final class SymmetricAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int ROWS = 8;
    /** Scales the exponentials out of the subnormal range: {@code e^−86·2^57 ≈ 6e−21}, {@code 2^57 ≈ 1.4e17}. */
    private static final float LIFT = 0x1p57f;
    private static final boolean GATHER = L >= 8 && "amd64".equals(System.getProperty("os.arch"));

    private final int t;
    private final int p;
    /** Row stride of the padded copy of {@code W}: the head's columns rounded up to the weighted sum's column block. */
    private final int ps;
    /** Row stride of {@code Wᵀ} and {@code E}, with zero columns past the tokens for the last column block. */
    private final int ldT;
    private final float[] wp;
    private final float[] wt;
    private final float[] e;
    private final float[] diagonal;
    private final float[] block;
    private final float[] sums;
    private final int[] gatherIndex;

    SymmetricAttention(int tokens, int headDim) {
        t = tokens;
        p = headDim;
        int rows = (t + ROWS - 1) / ROWS * ROWS;
        ps = (p + 2 * L - 1) / (2 * L) * (2 * L);
        ldT = (t + 3 * L - 1) / L * L;
        wp = new float[rows * ps];
        wt = new float[p * ldT];
        e = new float[rows * ldT];
        diagonal = new float[ldT];
        block = new float[ROWS * 2 * L];
        sums = new float[ROWS];
        gatherIndex = new int[L];
        for (int i = 0; i < L; i++) {
            gatherIndex[i] = i * ps;
        }
    }

    /**
     * Writes the head's attention output, rows of {@code p} floats at {@code offset + r·ld} of {@code out}, reading
     * {@code W} at the same place in {@code w}; returns {@code false} without writing when one shift cannot serve.
     */
    boolean apply(NativeFloats w, long offset, int ld, float scale, float shiftRange, NativeFloats out) {
        for (int r = 0; r < t; r++) {
            w.get(offset + (long) r * ld, wp, r * ps, p);
        }
        transpose();
        float shift = diagonalShift(scale, shiftRange);
        if (Float.isNaN(shift)) {
            return false;
        }
        scores();
        exponentials(scale, shift);
        weightedSum(out, offset, ld);
        return true;
    }

    private void transpose() {
        int gathered = GATHER ? t / L * L : 0;
        for (int r0 = 0; r0 < gathered; r0 += L) {
            for (int k = 0; k < p; k++) {
                FloatVector.fromArray(S, wp, r0 * ps + k, gatherIndex, 0).intoArray(wt, k * ldT + r0);
            }
        }
        for (int r = gathered; r < t; r++) {
            for (int k = 0; k < p; k++) {
                wt[k * ldT + r] = wp[r * ps + k];
            }
        }
    }

    /** The largest scaled diagonal score, or NaN when the smallest lies more than {@code range} below it. */
    private float diagonalShift(float scale, float range) {
        for (int j0 = 0; j0 < t; j0 += L) {
            FloatVector sum = FloatVector.zero(S);
            for (int k = 0; k < p; k++) {
                FloatVector v = FloatVector.fromArray(S, wt, k * ldT + j0);
                sum = v.fma(v, sum);
            }
            sum.mul(scale).intoArray(diagonal, j0);
        }
        float shift = Float.NEGATIVE_INFINITY;
        float lowest = Float.POSITIVE_INFINITY;
        for (int j = 0; j < t; j++) {
            shift = Math.max(shift, diagonal[j]);
            lowest = Math.min(lowest, diagonal[j]);
        }
        return lowest - shift >= -range ? shift : Float.NaN;
    }

    /**
     * Unscaled scores {@code W·Wᵀ} of each 8-row block from its first row's column on, in 8 × 2-vector register
     * blocks. The lanes sum in the same order as {@link #diagonalShift}'s, so the diagonal matches it exactly.
     */
    private void scores() {
        for (int i0 = 0; i0 < t; i0 += ROWS) {
            int a0 = i0 * ps;
            int a1 = a0 + ps;
            int a2 = a1 + ps;
            int a3 = a2 + ps;
            int a4 = a3 + ps;
            int a5 = a4 + ps;
            int a6 = a5 + ps;
            int a7 = a6 + ps;
            for (int j0 = i0; j0 < t; j0 += 2 * L) {
                FloatVector c00 = FloatVector.zero(S);
                FloatVector c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
                FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
                for (int k = 0; k < p; k++) {
                    int bo = k * ldT + j0;
                    FloatVector b0 = FloatVector.fromArray(S, wt, bo);
                    FloatVector b1 = FloatVector.fromArray(S, wt, bo + L);
                    FloatVector x = FloatVector.broadcast(S, wp[a0 + k]);
                    c00 = b0.fma(x, c00);
                    c01 = b1.fma(x, c01);
                    x = FloatVector.broadcast(S, wp[a1 + k]);
                    c10 = b0.fma(x, c10);
                    c11 = b1.fma(x, c11);
                    x = FloatVector.broadcast(S, wp[a2 + k]);
                    c20 = b0.fma(x, c20);
                    c21 = b1.fma(x, c21);
                    x = FloatVector.broadcast(S, wp[a3 + k]);
                    c30 = b0.fma(x, c30);
                    c31 = b1.fma(x, c31);
                    x = FloatVector.broadcast(S, wp[a4 + k]);
                    c40 = b0.fma(x, c40);
                    c41 = b1.fma(x, c41);
                    x = FloatVector.broadcast(S, wp[a5 + k]);
                    c50 = b0.fma(x, c50);
                    c51 = b1.fma(x, c51);
                    x = FloatVector.broadcast(S, wp[a6 + k]);
                    c60 = b0.fma(x, c60);
                    c61 = b1.fma(x, c61);
                    x = FloatVector.broadcast(S, wp[a7 + k]);
                    c70 = b0.fma(x, c70);
                    c71 = b1.fma(x, c71);
                }
                int o = i0 * ldT + j0;
                c00.intoArray(e, o);
                c01.intoArray(e, o + L);
                o += ldT;
                c10.intoArray(e, o);
                c11.intoArray(e, o + L);
                o += ldT;
                c20.intoArray(e, o);
                c21.intoArray(e, o + L);
                o += ldT;
                c30.intoArray(e, o);
                c31.intoArray(e, o + L);
                o += ldT;
                c40.intoArray(e, o);
                c41.intoArray(e, o + L);
                o += ldT;
                c50.intoArray(e, o);
                c51.intoArray(e, o + L);
                o += ldT;
                c60.intoArray(e, o);
                c61.intoArray(e, o + L);
                o += ldT;
                c70.intoArray(e, o);
                c71.intoArray(e, o + L);
            }
        }
    }

    /**
     * {@code 2^57·exp(scale·s − shift)} over each row's stored columns, in whole vectors that may run into the padding
     * columns (read only for rows past the last token). The exponential saturates at {@code e^−86}; the power of two
     * lifts every entry far above the subnormal range, so that no product in the weighted sum is subnormal (they are
     * many times slower), and cancels in the normalisation. A small loop of its own, so that the JIT compiles the
     * polynomial inline here rather than beside the kernels.
     */
    private void exponentials(float scale, float shift) {
        FloatVector shiftV = FloatVector.broadcast(S, shift);
        for (int r = 0; r < t; r++) {
            int end = r * ldT + t;
            for (int c = r * ldT + r / ROWS * ROWS; c < end; c += L) {
                RowOps.expNonPositive(FloatVector.fromArray(S, e, c).mul(scale).sub(shiftV)).mul(LIFT).intoArray(e, c);
            }
        }
    }

    /**
     * {@code out = E·W / rowsum(E)} in blocks of 8 rows × 2 vectors. Row {@code a + r}'s entry for token {@code j} is
     * stored at {@code E[j][a + r]} when {@code j < a} and at {@code E[a + r][j]} otherwise: two passes of one kernel.
     */
    private void weightedSum(NativeFloats out, long offset, int ld) {
        for (int a = 0; a < t; a += ROWS) {
            int rows = Math.min(ROWS, t - a);
            for (int c = 0; c < ps; c += 2 * L) {
                java.util.Arrays.fill(block, 0f);
                java.util.Arrays.fill(sums, 0f);
                accumulate(0, a, a, ldT, 1, c);
                accumulate(a, t, a * ldT, 1, ldT, c);
                int columns = Math.min(2 * L, p - c);
                for (int r = 0; r < rows; r++) {
                    float inverse = 1f / sums[r];
                    int o = r * 2 * L;
                    FloatVector.fromArray(S, block, o).mul(inverse).intoArray(block, o);
                    FloatVector.fromArray(S, block, o + L).mul(inverse).intoArray(block, o + L);
                    out.put(offset + (long) (a + r) * ld + c, block, o, columns);
                }
            }
        }
    }

    /**
     * Adds {@code E[r][j]·W[j][c, c + 2L)} for tokens {@code j} in {@code [from, to)} to the 8-row block, and
     * {@code E[r][j]} to the rows' sums, reading {@code E[r][j]} at {@code base + j·js + r·rs}.
     */
    private void accumulate(int from, int to, int base, int js, int rs, int c) {
        FloatVector c00 = FloatVector.fromArray(S, block, 0);
        FloatVector c01 = FloatVector.fromArray(S, block, L);
        FloatVector c10 = FloatVector.fromArray(S, block, 2 * L);
        FloatVector c11 = FloatVector.fromArray(S, block, 3 * L);
        FloatVector c20 = FloatVector.fromArray(S, block, 4 * L);
        FloatVector c21 = FloatVector.fromArray(S, block, 5 * L);
        FloatVector c30 = FloatVector.fromArray(S, block, 6 * L);
        FloatVector c31 = FloatVector.fromArray(S, block, 7 * L);
        FloatVector c40 = FloatVector.fromArray(S, block, 8 * L);
        FloatVector c41 = FloatVector.fromArray(S, block, 9 * L);
        FloatVector c50 = FloatVector.fromArray(S, block, 10 * L);
        FloatVector c51 = FloatVector.fromArray(S, block, 11 * L);
        FloatVector c60 = FloatVector.fromArray(S, block, 12 * L);
        FloatVector c61 = FloatVector.fromArray(S, block, 13 * L);
        FloatVector c70 = FloatVector.fromArray(S, block, 14 * L);
        FloatVector c71 = FloatVector.fromArray(S, block, 15 * L);
        float s0 = sums[0], s1 = sums[1], s2 = sums[2], s3 = sums[3];
        float s4 = sums[4], s5 = sums[5], s6 = sums[6], s7 = sums[7];
        for (int j = from; j < to; j++) {
            int eo = base + j * js;
            int wo = j * ps + c;
            FloatVector w0 = FloatVector.fromArray(S, wp, wo);
            FloatVector w1 = FloatVector.fromArray(S, wp, wo + L);
            float f = e[eo];
            s0 += f;
            FloatVector x = FloatVector.broadcast(S, f);
            c00 = w0.fma(x, c00);
            c01 = w1.fma(x, c01);
            f = e[eo + rs];
            s1 += f;
            x = FloatVector.broadcast(S, f);
            c10 = w0.fma(x, c10);
            c11 = w1.fma(x, c11);
            f = e[eo + 2 * rs];
            s2 += f;
            x = FloatVector.broadcast(S, f);
            c20 = w0.fma(x, c20);
            c21 = w1.fma(x, c21);
            f = e[eo + 3 * rs];
            s3 += f;
            x = FloatVector.broadcast(S, f);
            c30 = w0.fma(x, c30);
            c31 = w1.fma(x, c31);
            f = e[eo + 4 * rs];
            s4 += f;
            x = FloatVector.broadcast(S, f);
            c40 = w0.fma(x, c40);
            c41 = w1.fma(x, c41);
            f = e[eo + 5 * rs];
            s5 += f;
            x = FloatVector.broadcast(S, f);
            c50 = w0.fma(x, c50);
            c51 = w1.fma(x, c51);
            f = e[eo + 6 * rs];
            s6 += f;
            x = FloatVector.broadcast(S, f);
            c60 = w0.fma(x, c60);
            c61 = w1.fma(x, c61);
            f = e[eo + 7 * rs];
            s7 += f;
            x = FloatVector.broadcast(S, f);
            c70 = w0.fma(x, c70);
            c71 = w1.fma(x, c71);
        }
        c00.intoArray(block, 0);
        c01.intoArray(block, L);
        c10.intoArray(block, 2 * L);
        c11.intoArray(block, 3 * L);
        c20.intoArray(block, 4 * L);
        c21.intoArray(block, 5 * L);
        c30.intoArray(block, 6 * L);
        c31.intoArray(block, 7 * L);
        c40.intoArray(block, 8 * L);
        c41.intoArray(block, 9 * L);
        c50.intoArray(block, 10 * L);
        c51.intoArray(block, 11 * L);
        c60.intoArray(block, 12 * L);
        c61.intoArray(block, 13 * L);
        c70.intoArray(block, 14 * L);
        c71.intoArray(block, 15 * L);
        sums[0] = s0;
        sums[1] = s1;
        sums[2] = s2;
        sums[3] = s3;
        sums[4] = s4;
        sums[5] = s5;
        sums[6] = s6;
        sums[7] = s7;
    }
}
