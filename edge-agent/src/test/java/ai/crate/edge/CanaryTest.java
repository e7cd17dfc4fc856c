package ai.crate.edge;

import ai.crate.patchify.DecodedImage;
import ai.crate.patchify.shapes.ShapesClip;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.ReferenceEngine;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The canary passes a candidate that agrees with the serving model at a similar speed, refuses one that disagrees, is
 * too slow or produces non-finite logits, and does not blame the candidate for a busy spell of the device.
 */
class CanaryTest {
    private static LoadedModel model;
    private static ReferenceEngine engine;
    private static List<DecodedImage> frames;

    @BeforeAll
    static void load() throws Exception {
        model = ModelLoader.load(EdgeTestKit.DEMO_MODEL, Optional.empty());
        engine = new ReferenceEngine(model.weights(), new EngineOptions(1));
        ShapesClip clip = new ShapesClip(3, 128, 3);
        frames = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            frames.add(clip.frame(i * 10));
        }
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void theSameModelPasses() {
        Canary.Result result = Canary.run(serving(engine), serving(engine), frames, 4, 0.9, 2.0);
        assertThat(result.passed()).as(result.reason()).isTrue();
        assertThat(result.agreement()).isEqualTo(1.0);
        assertThat(result.frames()).isEqualTo(8);
    }

    @Test
    void aCandidateThatDisagreesIsRefused() {
        CrateEngine shifted = new Wrapped(engine, call -> false, Wrapped.Output.ROTATED, null);
        Canary.Result result = Canary.run(serving(engine), serving(shifted), frames, 4, 0.9, 2.0);
        assertThat(result.passed()).isFalse();
        assertThat(result.agreement()).isZero();
        assertThat(result.reason()).contains("top-1 agreement 0.000 (at least 0.900)");
    }

    @Test
    void aCandidateWithNonFiniteLogitsIsRefused() {
        CrateEngine broken = new Wrapped(engine, call -> false, Wrapped.Output.NAN, null);
        Canary.Result result = Canary.run(serving(engine), serving(broken), frames, 4, 0.9, 2.0);
        assertThat(result.passed()).isFalse();
        assertThat(result.reason()).isEqualTo("the candidate produced a logit that is not finite");
    }

    @Test
    void aCandidateMuchSlowerThanTheServingModelIsRefused() {
        CrateEngine slow = new Wrapped(engine, call -> true, Wrapped.Output.SAME, null);
        Canary.Result result = Canary.run(serving(engine), serving(slow), frames, 4, 0.9, 2.0);
        assertThat(result.passed()).isFalse();
        assertThat(result.latencyRatio()).isGreaterThan(2.0);
        assertThat(result.reason()).contains("(at most 2.00x)");
    }

    @Test
    void aBusySpellOfTheDeviceSlowsBothModelsAlike() {
        AtomicInteger calls = new AtomicInteger();
        IntPredicate busy = call -> call >= 10 && call < 18;
        CrateEngine current = new Wrapped(engine, busy, Wrapped.Output.SAME, calls);
        CrateEngine candidate = new Wrapped(engine, busy, Wrapped.Output.SAME, calls);
        Canary.Result result = Canary.run(serving(current), serving(candidate), frames, 4, 0.9, 2.0);
        assertThat(result.passed()).as(result.reason()).isTrue();
        assertThat(result.latencyRatio()).isBetween(0.5, 2.0);
    }

    @Test
    void tooFewRecentFramesAreNotEnough() {
        Canary.Result result = Canary.run(serving(engine), serving(engine), frames.subList(0, 3), 4, 0.9, 2.0);
        assertThat(result.passed()).isFalse();
        assertThat(result.reason()).contains("only 3 recent frames").contains("needs 4");
    }

    private static Serving serving(CrateEngine engine) {
        return new Serving(EdgeTestKit.DEMO_MODEL, model, engine);
    }

    /**
     * An engine around the real one: {@link #SLOW_MILLIS} slower on the calls {@code slowCall} picks (numbered across every engine
     * sharing {@code calls}), and its logits the same, rotated by one class, or NaN.
     */
    private static final class Wrapped implements CrateEngine {
        /** Far longer than the demo model's pass, so that a slowed call is slow whatever the machine. */
        static final long SLOW_MILLIS = 200;

        enum Output { SAME, ROTATED, NAN }

        private final CrateEngine inner;
        private final IntPredicate slowCall;
        private final Output output;
        private final AtomicInteger calls;

        Wrapped(CrateEngine inner, IntPredicate slowCall, Output output, AtomicInteger calls) {
            this.inner = inner;
            this.slowCall = slowCall;
            this.output = output;
            this.calls = calls != null ? calls : new AtomicInteger();
        }

        @Override
        public String name() {
            return "wrapped";
        }

        @Override
        public CrateConfig config() {
            return inner.config();
        }

        @Override
        public float[] forward(float[] images, int batch, LayerObserver observer) {
            if (slowCall.test(calls.getAndIncrement())) {
                try {
                    Thread.sleep(SLOW_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            float[] logits = inner.forward(images, batch, observer);
            float[] out = new float[logits.length];
            for (int i = 0; i < logits.length; i++) {
                out[i] = switch (output) {
                    case SAME -> logits[i];
                    case ROTATED -> logits[(i + 1) % logits.length];
                    case NAN -> Float.NaN;
                };
            }
            return out;
        }

        @Override
        public void close() {
        }
    }
}
