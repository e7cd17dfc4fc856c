package ai.crate.runtime.engine.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One head's attention {@code softmax(scale·W·Wᵀ)·W} in register-blocked Vector API kernels on heap copies, for heads
 * whose exponentials can share one shift. The scores are symmetric and never exceed the largest diagonal entry, so
 * {@code E = exp(scale·W·Wᵀ − shift)} is symmetric: it is computed on an upper staircase of 8-row blocks only. The
 * weighted sum runs block by block: a block's rows read their own stored entries, and scatter the same entries, times
 * their rows of {@code W}, to the rows below, which hold no copy of them; the normalisers are summed the same two ways.
 * One instance per worker; {@link #apply} returns {@code false}, having written nothing, when a row's own scores lie so
 * far below the shared shift that its exponentials would underflow, and the caller then takes a path with a shift per
 * row.
 */
final class SymmetricAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int ROWS = 8;
    /** Scales the exponentials out of the subnormal range: {@code e^−86·2^57 ≈ 6e−21}, {@code 2^57 ≈ 1.4e17}. */
    private static final float LIFT = 0x1p57f;
    private static final boolean GATHER = L >= 8 && "amd64".equals(System.getProperty("os.arch"));

    private final int t;
    private final int p;
    /** {@code p} rounded up to whole panels of {@code 2L} columns: the row stride of {@link #wp}. */
    private final int ps;
    /** Row stride of {@code Wᵀ} and {@code E}, with zero columns past the tokens for the last column block. */
    private final int ldT;
    private final float[] wp;
    /** {@code W} again in panels of {@code 2L} columns, {@code panelSize} floats each: the weighted sum's operand. */
    private final float[] panels;
    private final int panelSize;
    private final float[] wt;
    private final float[] e;
    private final float[] diagonal;
    private final float[] block;
    /** Each row's softmax normaliser, rounded up to whole vectors. */
    private final float[] normalisers;
    /** Per column, the exponentials of the 8-row blocks already passed: the rows' normalisers from the transpose. */
    private final float[] columnSums;
    /** The weighted sum's terms from the transpose, in {@link #panels}' layout, scattered by the blocks above. */
    private final float[] scattered;
    private final int[] gatherIndex;

    SymmetricAttention(int tokens, int headDim) {
        t = tokens;
        p = headDim;
        int rows = (t + ROWS - 1) / ROWS * ROWS;
        ps = (p + 2 * L - 1) / (2 * L) * (2 * L);
        ldT = (t + 3 * L - 1) / L * L;
        wp = new float[rows * ps];
        panelSize = rows * 2 * L;
        panels = new float[ps / (2 * L) * panelSize];
        wt = new float[p * ldT];
        e = new float[rows * ldT];
        diagonal = new float[ldT];
        block = new float[ROWS * 2 * L];
        normalisers = new float[ldT];
        columnSums = new float[ldT];
        scattered = new float[panels.length];
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
        load(w, offset, ld);
        float shift = diagonalShift(scale, shiftRange);
        if (Float.isNaN(shift)) {
            return false;
        }
        scores();
        weightedSum(scale, shift, out, offset, ld);
        return true;
    }

    /**
     * Copies the head in: its rows into {@link #wp} and {@link #panels}, in whole vectors read straight from the
     * buffer (a bulk copy per row costs a native call each), then its columns into {@link #wt}. One method, too large
     * for the JIT to inline, for the reason {@link #weightedSum} gives.
     */
    private void load(NativeFloats w, long offset, int ld) {
        ByteBuffer bytes = w.bytes();
        int whole = p / L * L;
        for (int r = 0; r < t; r++) {
            long row = offset + (long) r * ld;
            for (int c = 0; c < whole; c += L) {
                FloatVector v = FloatVector.fromByteBuffer(S, bytes, Math.toIntExact((row + c) * 4), ORDER);
                v.intoArray(wp, r * ps + c);
                v.intoArray(panels, c / (2 * L) * panelSize + r * 2 * L + c % (2 * L));
            }
            for (int c = whole; c < p; c++) {
                float v = bytes.getFloat(Math.toIntExact((row + c) * 4));
                wp[r * ps + c] = v;
                panels[c / (2 * L) * panelSize + r * 2 * L + c % (2 * L)] = v;
            }
        }
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
     * {@code out = E·W / rowsum(E)}, 8 rows at a time, after raising the stored scores to {@code E} in place:
     * {@code 2^57·exp(scale·s − shift)}, in whole vectors that may run into the padding columns (never read). The
     * exponential saturates at {@code e^−86}; the power of two lifts every entry far above the subnormal range, so that
     * no product is subnormal (they are many times slower), and cancels in the normalisation. One method, too large
     * for the JIT to inline: inlined into its callers, the exponential's vector code sometimes went past the JIT's
     * node budget, which then compiled it as Java code that allocates every vector, a quarter slower.
     * <p>A block's rows read their stored entries (the tokens from the block on) in {@link #accumulate}, then add what
     * the blocks above scattered to them: {@code E[j][r]} of earlier rows {@code j}, stored only in those rows. The
     * block then scatters its own rows' entries past the block, and their column sums, to the rows below.
     */
    private void weightedSum(float scale, float shift, NativeFloats out, long offset, int ld) {
        FloatVector shiftV = FloatVector.broadcast(S, shift);
        for (int r = 0; r < t; r++) {
            int end = r * ldT + t;
            for (int c = r * ldT + r / ROWS * ROWS; c < end; c += L) {
                RowOps.expNonPositive(FloatVector.fromArray(S, e, c).mul(scale).sub(shiftV)).mul(LIFT).intoArray(e, c);
            }
        }
        ByteBuffer outBytes = out.bytes();
        java.util.Arrays.fill(scattered, 0f);
        java.util.Arrays.fill(columnSums, 0f);
        for (int a = 0; a < t; a += ROWS) {
            int rows = Math.min(ROWS, t - a);
            for (int c = 0; c < p; c += 2 * L) {
                int panel = c / (2 * L) * panelSize;
                accumulate(a, panel);
                int columns = Math.min(2 * L, p - c);
                for (int r = 0; r < rows; r++) {
                    float inverse = 1f / (normalisers[a + r] + columnSums[a + r]);
                    int o = r * 2 * L;
                    int from = panel + (a + r) * 2 * L;
                    FloatVector low = FloatVector.fromArray(S, block, o).add(FloatVector.fromArray(S, scattered, from))
                            .mul(inverse);
                    FloatVector high = FloatVector.fromArray(S, block, o + L)
                            .add(FloatVector.fromArray(S, scattered, from + L)).mul(inverse);
                    long at = offset + (long) (a + r) * ld + c;
                    if (columns == 2 * L) {
                        low.intoByteBuffer(outBytes, Math.toIntExact(at * 4), ORDER);
                        high.intoByteBuffer(outBytes, Math.toIntExact((at + L) * 4), ORDER);
                    } else {
                        low.intoArray(block, o);
                        high.intoArray(block, o + L);
                        out.put(at, block, o, columns);
                    }
                }
                scatter(a, panel);
            }
            addColumnSums(a);
        }
    }

    /** Adds {@code E[a + r][j]} over the block's 8 rows to the column sums of the tokens {@code j} past the block. */
    private void addColumnSums(int a) {
        int r0 = a * ldT;
        for (int j = a + ROWS; j < t; j += L) {
            int o = r0 + j;
            FloatVector.fromArray(S, columnSums, j)
                    .add(FloatVector.fromArray(S, e, o).add(FloatVector.fromArray(S, e, o + ldT)))
                    .add(FloatVector.fromArray(S, e, o + 2 * ldT).add(FloatVector.fromArray(S, e, o + 3 * ldT)))
                    .add(FloatVector.fromArray(S, e, o + 4 * ldT).add(FloatVector.fromArray(S, e, o + 5 * ldT)))
                    .add(FloatVector.fromArray(S, e, o + 6 * ldT).add(FloatVector.fromArray(S, e, o + 7 * ldT)))
                    .intoArray(columnSums, j);
        }
    }

    /**
     * For each token {@code j} past the block at {@code a}, adds {@code Σ_r E[a + r][j]·W[a + r]} (the panel's
     * columns) to row {@code j} of {@link #scattered}: {@code E[j][a + r]}'s terms, which row {@code j} cannot read.
     * The block's 8 rows of {@code W} stay in registers.
     */
    private void scatter(int a, int panel) {
        int wb = panel + a * 2 * L;
        FloatVector w00 = FloatVector.fromArray(S, panels, wb);
        FloatVector w01 = FloatVector.fromArray(S, panels, wb + L);
        FloatVector w10 = FloatVector.fromArray(S, panels, wb + 2 * L);
        FloatVector w11 = FloatVector.fromArray(S, panels, wb + 3 * L);
        FloatVector w20 = FloatVector.fromArray(S, panels, wb + 4 * L);
        FloatVector w21 = FloatVector.fromArray(S, panels, wb + 5 * L);
        FloatVector w30 = FloatVector.fromArray(S, panels, wb + 6 * L);
        FloatVector w31 = FloatVector.fromArray(S, panels, wb + 7 * L);
        FloatVector w40 = FloatVector.fromArray(S, panels, wb + 8 * L);
        FloatVector w41 = FloatVector.fromArray(S, panels, wb + 9 * L);
        FloatVector w50 = FloatVector.fromArray(S, panels, wb + 10 * L);
        FloatVector w51 = FloatVector.fromArray(S, panels, wb + 11 * L);
        FloatVector w60 = FloatVector.fromArray(S, panels, wb + 12 * L);
        FloatVector w61 = FloatVector.fromArray(S, panels, wb + 13 * L);
        FloatVector w70 = FloatVector.fromArray(S, panels, wb + 14 * L);
        FloatVector w71 = FloatVector.fromArray(S, panels, wb + 15 * L);
        int e0 = a * ldT;
        int e1 = e0 + ldT;
        int e2 = e1 + ldT;
        int e3 = e2 + ldT;
        int e4 = e3 + ldT;
        int e5 = e4 + ldT;
        int e6 = e5 + ldT;
        int e7 = e6 + ldT;
        for (int j = a + ROWS; j < t; j++) {
            int o = panel + j * 2 * L;
            FloatVector x = FloatVector.broadcast(S, e[e0 + j]);
            FloatVector s0 = w00.fma(x, FloatVector.fromArray(S, scattered, o));
            FloatVector s1 = w01.fma(x, FloatVector.fromArray(S, scattered, o + L));
            x = FloatVector.broadcast(S, e[e1 + j]);
            s0 = w10.fma(x, s0);
            s1 = w11.fma(x, s1);
            x = FloatVector.broadcast(S, e[e2 + j]);
            s0 = w20.fma(x, s0);
            s1 = w21.fma(x, s1);
            x = FloatVector.broadcast(S, e[e3 + j]);
            s0 = w30.fma(x, s0);
            s1 = w31.fma(x, s1);
            x = FloatVector.broadcast(S, e[e4 + j]);
            s0 = w40.fma(x, s0);
            s1 = w41.fma(x, s1);
            x = FloatVector.broadcast(S, e[e5 + j]);
            s0 = w50.fma(x, s0);
            s1 = w51.fma(x, s1);
            x = FloatVector.broadcast(S, e[e6 + j]);
            s0 = w60.fma(x, s0);
            s1 = w61.fma(x, s1);
            x = FloatVector.broadcast(S, e[e7 + j]);
            w70.fma(x, s0).intoArray(scattered, o);
            w71.fma(x, s1).intoArray(scattered, o + L);
        }
    }

    /**
     * Sums {@code E[r][j]·W[j]} over the stored tokens {@code j ≥ a} for the block's 8 rows {@code r} from {@code a},
     * W's columns read from the panel at {@code panel}, into {@code block}, and {@code E[r][j]} into the rows'
     * {@link #normalisers}. The indices step by constants with {@code j}, so that the JIT lifts their bounds checks out
     * of the loop.
     */
    private void accumulate(int a, int panel) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        FloatVector c60 = c00;
        FloatVector c61 = c00;
        FloatVector c70 = c00;
        FloatVector c71 = c00;
        FloatVector n0 = c00;
        FloatVector n1 = c00;
        FloatVector n2 = c00;
        FloatVector n3 = c00;
        FloatVector n4 = c00;
        FloatVector n5 = c00;
        FloatVector n6 = c00;
        FloatVector n7 = c00;
        int e0 = a * ldT;
        int e1 = e0 + ldT;
        int e2 = e1 + ldT;
        int e3 = e2 + ldT;
        int e4 = e3 + ldT;
        int e5 = e4 + ldT;
        int e6 = e5 + ldT;
        int e7 = e6 + ldT;
        for (int j = a; j < t; j++) {
            int wo = panel + j * 2 * L;
            FloatVector w0 = FloatVector.fromArray(S, panels, wo);
            FloatVector w1 = FloatVector.fromArray(S, panels, wo + L);
            FloatVector x = FloatVector.broadcast(S, e[e0 + j]);
            c00 = w0.fma(x, c00);
            c01 = w1.fma(x, c01);
            n0 = n0.add(x);
            x = FloatVector.broadcast(S, e[e1 + j]);
            c10 = w0.fma(x, c10);
            c11 = w1.fma(x, c11);
            n1 = n1.add(x);
            x = FloatVector.broadcast(S, e[e2 + j]);
            c20 = w0.fma(x, c20);
            c21 = w1.fma(x, c21);
            n2 = n2.add(x);
            x = FloatVector.broadcast(S, e[e3 + j]);
            c30 = w0.fma(x, c30);
            c31 = w1.fma(x, c31);
            n3 = n3.add(x);
            x = FloatVector.broadcast(S, e[e4 + j]);
            c40 = w0.fma(x, c40);
            c41 = w1.fma(x, c41);
            n4 = n4.add(x);
            x = FloatVector.broadcast(S, e[e5 + j]);
            c50 = w0.fma(x, c50);
            c51 = w1.fma(x, c51);
            n5 = n5.add(x);
            x = FloatVector.broadcast(S, e[e6 + j]);
            c60 = w0.fma(x, c60);
            c61 = w1.fma(x, c61);
            n6 = n6.add(x);
            x = FloatVector.broadcast(S, e[e7 + j]);
            c70 = w0.fma(x, c70);
            c71 = w1.fma(x, c71);
            n7 = n7.add(x);
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
        normalisers[a] = n0.lane(0);
        normalisers[a + 1] = n1.lane(0);
        normalisers[a + 2] = n2.lane(0);
        normalisers[a + 3] = n3.lane(0);
        normalisers[a + 4] = n4.lane(0);
        normalisers[a + 5] = n5.lane(0);
        normalisers[a + 6] = n6.lane(0);
        normalisers[a + 7] = n7.lane(0);
    }
}
