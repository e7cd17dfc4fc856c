package ai.crate.edge;

import ai.crate.patchify.DecodedImage;
import ai.crate.patchify.FastPreprocessor;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The canary of a model update: the candidate and the serving model classify the same recent frames of this
 * device's cameras; the candidate passes when its top-1 agrees with the serving model's on at least
 * {@code minAgreement} of them, its median time per frame (the two models timed in turns, frame by frame) is at most
 * {@code maxLatencyRatio} times the serving model's, and every logit is finite.
 */
final class Canary {
    private Canary() {
    }

    /** The verdict and its figures. */
    record Result(boolean passed, double agreement, double latencyRatio, int frames, String reason) {
    }

    static Result run(Serving current, Serving candidate, List<DecodedImage> frames, int minFrames,
                      double minAgreement, double maxLatencyRatio) {
        if (frames.size() < minFrames) {
            return new Result(false, 0, 0, frames.size(), "only " + frames.size() + " recent frames to try the"
                    + " candidate on, the canary needs " + minFrames);
        }
        Trial serving = new Trial(current, frames.size());
        Trial trial = new Trial(candidate, frames.size());
        serving.warmUp(frames.get(0));
        trial.warmUp(frames.get(0));
        boolean finite = true;
        for (int i = 0; i < frames.size(); i++) {
            serving.classify(frames.get(i), i);
            finite &= trial.classify(frames.get(i), i);
        }
        if (!finite) {
            return new Result(false, 0, 0, frames.size(), "the candidate produced a logit that is not finite");
        }
        int[] currentTop = serving.top;
        int[] candidateTop = trial.top;
        int agree = 0;
        for (int i = 0; i < frames.size(); i++) {
            agree += currentTop[i] == candidateTop[i] ? 1 : 0;
        }
        double agreement = (double) agree / frames.size();
        double ratio = (double) median(trial.nanos) / Math.max(1, median(serving.nanos));
        String figures = String.format(Locale.ROOT, "top-1 agreement %.3f (at least %.3f), latency %.2fx (at most"
                + " %.2fx) on %d recent frames", agreement, minAgreement, ratio, maxLatencyRatio, frames.size());
        if (agreement < minAgreement || ratio > maxLatencyRatio) {
            return new Result(false, agreement, ratio, frames.size(), "canary failed: " + figures);
        }
        return new Result(true, agreement, ratio, frames.size(), "canary passed: " + figures);
    }

    /**
     * One model's side of the canary: each frame's top-1 and engine time. The two sides take turns frame by frame, so
     * that a busy moment of the device (its cameras, the serving loop, other processes) slows both alike instead of
     * only the side that happened to run then.
     */
    private static final class Trial {
        private final Serving serving;
        private final FastPreprocessor preprocessor;
        private final int classes;
        private final float[] one;
        final int[] top;
        final long[] nanos;

        Trial(Serving serving, int frames) {
            this.serving = serving;
            PreprocessSpec spec = new PreprocessSpec(serving.model().preprocessing(), ResizeMode.SHORTER_SIDE);
            this.preprocessor = new FastPreprocessor(spec);
            this.classes = serving.model().config().numClasses();
            this.one = new float[spec.imageFloats()];
            this.top = new int[frames];
            this.nanos = new long[frames];
        }

        /** One untimed call: a fresh engine's first call pays for its buffers. */
        void warmUp(DecodedImage frame) {
            preprocessor.preprocess(frame, one, 0);
            serving.engine().forward(one, 1);
        }

        /** Classifies frame {@code i}, timing the engine; false if a logit is not finite. */
        boolean classify(DecodedImage frame, int i) {
            preprocessor.preprocess(frame, one, 0);
            long start = System.nanoTime();
            float[] logits = serving.engine().forward(one, 1);
            nanos[i] = System.nanoTime() - start;
            int best = 0;
            boolean finite = true;
            for (int c = 0; c < classes; c++) {
                finite &= Float.isFinite(logits[c]);
                best = logits[c] > logits[best] ? c : best;
            }
            top[i] = best;
            return finite;
        }
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
