package ai.crate.runtime.engine.fast;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * JMH benchmarks of the fast engine's kernels on one core: the products of CRATE-T/S/B at batch 8 (projection and
 * ISTA {@code [1576, d] × [d, d]}, attention scores {@code [197, p] × [p, 197]} and weighted sums), one head's whole
 * attention as the engine runs it, LayerNorm rows, softmax rows, and a large square product as the per-core peak.
 * Run with {@code bin/crate jmh KernelBenchmarks}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class KernelBenchmarks {
    private static final int ROWS = 8 * 197;
    private static final int TOKENS = 197;

    /** Token width d and head width p of the preset. */
    @Param({"tiny", "small", "base"})
    public String preset;

    private int dim;
    private int dimHead;
    private NativeFloats activations;
    private NativeFloats weights;
    private NativeFloats output;
    private NativeFloats scores;
    private NativeFloats square;
    private NativeFloats squareOut;
    private Blas blas;
    private SymmetricAttention attention;

    @Setup(Level.Trial)
    public void setUp() {
        dim = preset.equals("tiny") ? 384 : preset.equals("small") ? 576 : 768;
        dimHead = preset.equals("small") ? 48 : 64;
        activations = filled((long) ROWS * dim);
        weights = filled((long) dim * dim);
        output = new NativeFloats((long) ROWS * dim);
        scores = filled((long) TOKENS * RowOps.paddedLength(TOKENS));
        square = filled(1024L * 1024);
        squareOut = new NativeFloats(1024L * 1024);
        blas = new Blas();
        attention = new SymmetricAttention(TOKENS, dimHead);
    }

    private static NativeFloats filled(long n) {
        NativeFloats floats = new NativeFloats(n);
        for (long i = 0; i < n; i++) {
            floats.bytes().putFloat((int) (i * 4), (float) ((i * 7919 % 1000) / 1000.0 - 0.5));
        }
        return floats;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        activations.close();
        weights.close();
        output.close();
        scores.close();
        square.close();
        squareOut.close();
    }

    /** One layer's projection or ISTA product for a batch of 8: {@code [1576, d] × [d, d]}. */
    @Benchmark
    public void gemmTokensByDim() {
        blas.gemm(false, ROWS, dim, dim, 1f, activations, 0, dim, weights, 0, dim, 0f, output, 0, dim);
    }

    /** Attention scores of one head: {@code [197, p] × [p, 197]ᵀ}. */
    @Benchmark
    public void attentionScores() {
        blas.gemm(true, TOKENS, TOKENS, dimHead, 0.125f, activations, 0, dim, activations, 0, dim, 0f, scores, 0,
                RowOps.paddedLength(TOKENS));
    }

    /** The weighted sum of one head: {@code [197, 197] × [197, p]}. */
    @Benchmark
    public void attentionWeightedSum() {
        blas.gemm(false, TOKENS, dimHead, TOKENS, 1f, scores, 0, RowOps.paddedLength(TOKENS), activations, 0, dim, 0f,
                output, 0, dim);
    }

    /**
     * The engine's whole attention of one head on one core ({@link SymmetricAttention}): scores, shared-shift softmax
     * and normalised weighted sum, the work of {@code attentionScores}, {@code softmaxRows} and
     * {@code attentionWeightedSum} together.
     */
    @Benchmark
    public boolean attentionHead() {
        return attention.apply(activations, 0, dim, (float) Math.pow(dimHead, -0.5), 60f, output);
    }

    /** LayerNorm without affine of all 1576 rows of width d. */
    @Benchmark
    public void layerNormRows() {
        for (int r = 0; r < ROWS; r++) {
            RowOps.layerNorm(activations.bytes(), (long) r * dim, output.bytes(), (long) r * dim, dim, null, null,
                    1e-5f);
        }
    }

    /** Softmax numerators of the 197 padded rows of one head's scores. */
    @Benchmark
    public float softmaxRows() {
        int stride = RowOps.paddedLength(TOKENS);
        float total = 0;
        for (int r = 0; r < TOKENS; r++) {
            total += RowOps.softmaxNumeratorsPadded(scores.bytes(), (long) r * stride, TOKENS, stride);
        }
        return total;
    }

    /** The per-core peak: a 1024×1024×1024 product (2.15 GFLOP). */
    @Benchmark
    public void peakSquareGemm() {
        blas.gemm(false, 1024, 1024, 1024, 1f, square, 0, 1024, square, 0, 1024, 0f, squareOut, 0, 1024);
    }
}
