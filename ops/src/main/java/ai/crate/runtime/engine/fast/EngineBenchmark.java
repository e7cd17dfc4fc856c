package ai.crate.runtime.engine.fast;

import ai.crate.runtime.config.Presets;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.model.RandomWeights;
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
 * A whole forward pass of the fast engine (CRATE-T by default, random weights, 2 threads): with {@code -prof gc} it shows
 * the allocation per call, which in steady state stays under 1 KB (no allocation per image).
 * Run with {@code bin/crate jmh EngineBenchmark -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EngineBenchmark {
    @Param({"tiny"})
    public String preset;

    @Param({"1", "8"})
    public int batch;

    private FastEngine engine;
    private float[] images;
    private float[] logits;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        engine = new FastEngine(RandomWeights.of(Presets.named(preset), 1), new EngineOptions(2));
        images = new float[batch * 3 * 224 * 224];
        logits = new float[batch * 1000];
        for (int i = 0; i < images.length; i++) {
            images[i] = (i % 255) / 255f - 0.5f;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        engine.close();
    }

    /** A forward pass into a reused logits array: what a streaming caller does. */
    @Benchmark
    public float[] forwardInto() {
        engine.forwardInto(images, batch, logits);
        return logits;
    }
}
