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
 * {@code minAgreement} of them, its median time per frame is at most {@code maxLatencyRatio} times the serving
 * model's, and every logit is finite.
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
        long[][] nanos = new long[2][frames.size()];
        int[] currentTop = classify(current, frames, nanos[0]);
        int[] candidateTop = classify(candidate, frames, nanos[1]);
        if (candidateTop == null) {
            return new Result(false, 0, 0, frames.size(), "the candidate produced a logit that is not finite");
        }
        int agree = 0;
        for (int i = 0; i < frames.size(); i++) {
            agree += currentTop[i] == candidateTop[i] ? 1 : 0;
        }
        double agreement = (double) agree / frames.size();
        double ratio = (double) median(nanos[1]) / Math.max(1, median(nanos[0]));
        String figures = String.format(Locale.ROOT, "top-1 agreement %.3f (at least %.3f), latency %.2fx (at most"
                + " %.2fx) on %d recent frames", agreement, minAgreement, ratio, maxLatencyRatio, frames.size());
        if (agreement < minAgreement || ratio > maxLatencyRatio) {
            return new Result(false, agreement, ratio, frames.size(), "canary failed: " + figures);
        }
        return new Result(true, agreement, ratio, frames.size(), "canary passed: " + figures);
    }

    /**
     * Top-1 of each frame (null if a logit is not finite), and each frame's engine time in {@code nanos}, after one
     * untimed warm-up call (a fresh engine's first call pays for its buffers).
     */
    private static int[] classify(Serving serving, List<DecodedImage> frames, long[] nanos) {
        PreprocessSpec spec = new PreprocessSpec(serving.model().preprocessing(), ResizeMode.SHORTER_SIDE);
        FastPreprocessor preprocessor = new FastPreprocessor(spec);
        int classes = serving.model().config().numClasses();
        int[] top = new int[frames.size()];
        float[] one = new float[spec.imageFloats()];
        preprocessor.preprocess(frames.get(0), one, 0);
        serving.engine().forward(one, 1);
        for (int i = 0; i < frames.size(); i++) {
            preprocessor.preprocess(frames.get(i), one, 0);
            long start = System.nanoTime();
            float[] logits = serving.engine().forward(one, 1);
            nanos[i] = System.nanoTime() - start;
            int best = 0;
            for (int c = 0; c < classes; c++) {
                if (!Float.isFinite(logits[c])) {
                    return null;
                }
                best = logits[c] > logits[best] ? c : best;
            }
            top[i] = best;
        }
        return top;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
