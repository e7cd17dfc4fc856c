package ai.crate.runtime.whitebox;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * JMH benchmarks of one CRATE-T layer's coding rate (197 tokens, 6 heads of 64) as the white-box telemetry computes
 * it, and of one head's log-determinant by OpenBLAS/LAPACK against the Java loops it falls back to. Run with
 * {@code bin/crate jmh CodingRateBenchmarks}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CodingRateBenchmarks {
    private static final int TOKENS = 197;
    private static final int HEADS = 6;
    private static final int DIM_HEAD = 64;

    private float[] w;
    private double[] head;
    private double[] gram;
    private double c;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(7);
        w = new float[TOKENS * HEADS * DIM_HEAD];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextDouble(-1, 1);
        }
        head = new double[TOKENS * DIM_HEAD];
        for (int i = 0; i < head.length; i++) {
            head[i] = random.nextDouble(-0.125, 0.125);
        }
        gram = new double[DIM_HEAD * DIM_HEAD];
        c = DIM_HEAD / (TOKENS * CodingRate.EPSILON);
    }

    /** A whole layer: six heads normalised, each Gram factored (the LAPACK path where OpenBLAS loads). */
    @Benchmark
    public double layer() {
        return CodingRate.of(w, TOKENS, HEADS, DIM_HEAD);
    }

    /** One head's {@code logdet(I + c·XᵀX)} through {@code dsyrk} and {@code dpotrf}. */
    @Benchmark
    public double headLapack() {
        return LapackLogDet.of(head, TOKENS, DIM_HEAD, c, gram);
    }

    /** The same through the Java loops. */
    @Benchmark
    public double headJava() {
        return CodingRate.logDetIdentityPlusGram(head, TOKENS, DIM_HEAD, c);
    }
}
