package ai.crate.runtime.engine.tensorrt;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Presets;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.EngineProvider;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.testing.FixtureWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** Everything about TensorRT that needs no GPU: profiles, cache keys, the plan cache, and the paths without CUDA. */
class TensorRtWithoutGpuTest {
    @TempDir
    Path temp;

    private static final GpuInfo ORIN = new GpuInfo("Orin", 8, 7, 64L << 30, "10.12.0");

    @Test
    void profilesCoverEveryBatchUpToTheLargest() {
        BatchProfiles profiles = BatchProfiles.of(List.of(32, 1, 8, 8));
        assertThat(profiles.profiles()).containsExactly(new BatchProfiles.Profile(0, 1, 1, 1),
                new BatchProfiles.Profile(1, 2, 8, 8), new BatchProfiles.Profile(2, 9, 32, 32));
        assertThat(profiles.key()).isEqualTo("1-1/2-8/9-32");
        assertThat(profiles.forBatch(1).index()).isZero();
        assertThat(profiles.forBatch(5).index()).isEqualTo(1);
        assertThat(profiles.forBatch(32).index()).isEqualTo(2);
        assertThatThrownBy(() -> profiles.forBatch(33)).hasMessageContaining("exceeds the largest optimisation"
                + " profile (32)");
        assertThatThrownBy(() -> BatchProfiles.of(List.of(0))).hasMessageContaining("out of range");
        assertThatThrownBy(() -> BatchProfiles.of(List.of())).hasMessageContaining("at least one batch size");
    }

    @Test
    void planKeysChangeWithEveryInputThatMakesAPlanInvalid() {
        BatchProfiles profiles = BatchProfiles.of(List.of(1, 8));
        PlanKey key = PlanKey.of("abc", ORIN, Precision.FP16, profiles);
        assertThat(key.canonical())
                .isEqualTo("model=abc;tensorrt=10.12.0;gpu=Orin;cc=8.7;precision=fp16;profiles=1-1/2-8");
        assertThat(key.fileName()).matches("[0-9a-f]{32}\\.plan").isEqualTo(PlanKey.of("abc", ORIN, Precision.FP16,
                BatchProfiles.of(List.of(8, 1))).fileName());
        List<PlanKey> others = List.of(
                PlanKey.of("abd", ORIN, Precision.FP16, profiles),
                PlanKey.of("abc", new GpuInfo("Orin", 8, 7, 1, "10.13.0"), Precision.FP16, profiles),
                PlanKey.of("abc", new GpuInfo("Xavier", 8, 7, 1, "10.12.0"), Precision.FP16, profiles),
                PlanKey.of("abc", new GpuInfo("Orin", 7, 2, 1, "10.12.0"), Precision.FP16, profiles),
                PlanKey.of("abc", ORIN, Precision.FP32, profiles),
                PlanKey.of("abc", ORIN, Precision.FP16, BatchProfiles.of(List.of(1, 16))));
        assertThat(others).extracting(PlanKey::fileName).doesNotContain(key.fileName()).doesNotHaveDuplicates();
    }

    @Test
    void cacheRoundTripsAtomicallyAndRejectsDamagedOrForeignPlans() throws Exception {
        PlanCache cache = new PlanCache(temp.resolve("plans"));
        PlanKey key = PlanKey.of("m1", ORIN, Precision.FP32, BatchProfiles.of(List.of(1)));
        assertThat(cache.load(key)).isEmpty();
        byte[] plan = new byte[10_000];
        for (int i = 0; i < plan.length; i++) {
            plan[i] = (byte) (i * 31);
        }
        Path file = cache.store(key, plan);
        assertThat(cache.load(key)).hasValueSatisfying(loaded -> assertThat(loaded).isEqualTo(plan));
        try (var files = Files.list(cache.directory())) {
            assertThat(files).containsExactly(file);
        }

        byte[] stored = Files.readAllBytes(file);
        stored[stored.length - 3] ^= 1;
        Files.write(file, stored);
        assertThat(cache.load(key)).isEmpty();
        assertThat(file).doesNotExist();

        cache.store(key, plan);
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 100));
        assertThat(cache.load(key)).isEmpty();
        assertThat(file).doesNotExist();

        PlanKey other = PlanKey.of("m2", ORIN, Precision.FP32, BatchProfiles.of(List.of(1)));
        Files.move(cache.store(other, plan), file);
        assertThat(cache.load(key)).isEmpty();
        assertThat(file).doesNotExist();

        Files.writeString(file, "not a plan at all");
        assertThat(cache.load(key)).isEmpty();
        assertThat(PlanCache.verify(key, "CRATEPLAN1\nx\ny\nz\n".getBytes())).contains("another model");
    }

    @Test
    void loadFailuresNameTheMissingLibraryAndWhatProvidesIt() {
        UnsatisfiedLinkError cause = new UnsatisfiedLinkError("/root/.javacpp/cache/x/libjnicudart.so: libcuda.so.1:"
                + " cannot open shared object file: No such file or directory");
        UnsatisfiedLinkError outer = new UnsatisfiedLinkError("no jnicudart in java.library.path: /usr/lib");
        outer.initCause(cause);
        assertThat(TensorRtProbe.explain(outer)).isEqualTo("libcuda.so.1 is missing: no NVIDIA driver here (install"
                + " the driver, or JetPack 6 on a Jetson)");
        assertThat(TensorRtProbe.explain(new UnsatisfiedLinkError("libnvinfer.so.10: cannot open shared object file")))
                .startsWith("libnvinfer.so.10 is missing: install TensorRT 10");
        assertThat(TensorRtProbe.explain(new UnsatisfiedLinkError("libcudart.so.12: cannot open shared object file")))
                .startsWith("libcudart.so.12 is missing: install the CUDA 12 runtime");
        assertThat(TensorRtProbe.explain(new IllegalStateException("odd\nsecond line"))).isEqualTo("odd");
    }

    @Test
    void withoutCudaTheProbeSaysWhyAndNothingThrows() throws Exception {
        TensorRtProbe.Result result = TensorRtProbe.probe();
        assumeFalse(result.available(), "a GPU with TensorRT is present; TensorRtGpuITCase covers it");
        assertThat(result.reason()).isNotBlank();
        assertThat(TensorRtProbe.probe()).isSameAs(result);
        EngineProvider provider = new TensorRtEngineProvider();
        assertThat(provider.probe().available()).isFalse();
        assertThat(provider.probe().reason()).isEqualTo(result.reason());

        CrateConfig config = CrateConfig.builder().imageSize(16).patchSize(8).numClasses(3).dim(16).depth(1).heads(2)
                .dimHead(8).build();
        var weights = FixtureWeights.weights(config);
        assertThatThrownBy(() -> Engines.create("tensorrt", weights, new EngineOptions(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("engine tensorrt is not available here: " + result.reason());
        try (CrateEngine auto = Engines.create(Engines.AUTO, weights, new EngineOptions(1))) {
            assertThat(auto.name()).isNotEqualTo("tensorrt");
        }
        assertThatThrownBy(() -> new TensorRtEngine(weights, new EngineOptions(1)))
                .hasMessageStartingWith("tensorrt unavailable: ");
        assertThat(Presets.tiny()).isNotNull();
    }
}
