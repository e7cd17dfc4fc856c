package ai.crate.runtime.train;

import ai.crate.runtime.CrateException;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.model.CrateWeights;

import java.util.Arrays;
import java.util.Locale;

/**
 * One gated fine-tune: a copy of the production weights is trained on labelled feedback, then the candidate and
 * production are both measured on a holdout of the feedback (never trained on) and on a fixed regression set. The
 * candidate is accepted only if it beats production on the holdout by at least {@code margin} top-1 and loses no more
 * than {@code tolerance} top-1 on the regression set, so bad feedback (random labels, a mislabelled batch) never ships
 * a worse model. Usage: {@code FineTuner.run(production, feedback, holdout, regression, settings)}.
 */
public final class FineTuner {
    private FineTuner() {
    }

    /**
     * What to train and how to judge it.
     *
     * @param train     which parameters train: {@code all}, {@code head} or {@code last:K} ({@link Freezing})
     * @param margin    top-1 the candidate must gain on the holdout, e.g. 0.02
     * @param tolerance top-1 the candidate may lose on the regression set, e.g. 0.02
     */
    public record Settings(String train, String optimizer, double lr, long steps, int batch, int threads, long seed,
                           double margin, double tolerance) {
        public Settings {
            Freezing.parse(train);
            Optimizer.Settings.defaults(optimizer);
            if (!(margin >= 0) || !(tolerance >= 0)) {
                throw new IllegalArgumentException("the gate's margin and tolerance must not be negative, got "
                        + margin + " and " + tolerance);
            }
        }
    }

    /** The outcome: the candidate's weights, the four accuracies, and why it was accepted or refused. */
    public record Decision(boolean accepted, String reason, CrateWeights candidate, double holdoutBefore,
                           double holdoutAfter, double regressionBefore, double regressionAfter, long steps,
                           double seconds) {
    }

    public static Decision run(CrateWeights production, TrainingSet feedback, TrainingSet holdout,
                               TrainingSet regression, Settings settings) throws CrateException {
        long started = System.nanoTime();
        TrainableCrate model = TrainableCrate.of(production);
        Freezing.parse(settings.train()).apply(model);
        Optimizer optimizer = Optimizer.create(Optimizer.Settings.defaults(settings.optimizer()));
        TrainingSettings training = new TrainingSettings(settings.batch(), settings.steps(), true, 0f, 1.0,
                new LearningRateSchedule("cosine", settings.lr(), Math.min(10, settings.steps() / 10),
                        settings.steps(), 0), settings.threads(), settings.seed());
        new Trainer(training, optimizer).train(model, feedback, progress -> { });
        CrateWeights candidate = CrateWeights.of(production.config(), model.toTensors(), null);
        double holdoutBefore = accuracy(production, holdout, settings.threads());
        double holdoutAfter = accuracy(candidate, holdout, settings.threads());
        double regressionBefore = accuracy(production, regression, settings.threads());
        double regressionAfter = accuracy(candidate, regression, settings.threads());
        String measured = String.format(Locale.ROOT, "holdout %.4f -> %.4f (%s, %d images), regression %.4f ->"
                        + " %.4f (%s, %d images)", holdoutBefore, holdoutAfter, holdout.describe(), holdout.size(),
                regressionBefore, regressionAfter, regression.describe(), regression.size());
        String reason;
        boolean accepted;
        if (holdoutAfter < holdoutBefore + settings.margin()) {
            accepted = false;
            reason = String.format(Locale.ROOT, "refused: the candidate does not beat production on the holdout by"
                    + " %.4f; %s", settings.margin(), measured);
        } else if (regressionAfter < regressionBefore - settings.tolerance()) {
            accepted = false;
            reason = String.format(Locale.ROOT, "refused: the candidate loses more than %.4f on the regression set;"
                    + " %s", settings.tolerance(), measured);
        } else {
            accepted = true;
            reason = "accepted: " + measured;
        }
        return new Decision(accepted, reason, candidate, holdoutBefore, holdoutAfter, regressionBefore,
                regressionAfter, settings.steps(), (System.nanoTime() - started) / 1e9);
    }

    /** Top-1 accuracy of {@code weights} on {@code data}. */
    public static double accuracy(CrateWeights weights, TrainingSet data, int threads) {
        int classes = weights.config().numClasses();
        int batch = 32;
        float[] images = new float[batch * data.imageFloats()];
        long correct = 0;
        try (CrateEngine engine = Engines.create(Engines.AUTO, weights, new EngineOptions(threads))) {
            for (int start = 0; start < data.size(); start += batch) {
                int n = Math.min(batch, data.size() - start);
                for (int i = 0; i < n; i++) {
                    data.image(start + i, images, i * data.imageFloats());
                }
                float[] logits = engine.forward(n == batch ? images : Arrays.copyOf(images, n * data.imageFloats()),
                        n);
                for (int i = 0; i < n; i++) {
                    int best = 0;
                    for (int c = 1; c < classes; c++) {
                        best = logits[i * classes + c] > logits[i * classes + best] ? c : best;
                    }
                    correct += best == data.label(start + i) ? 1 : 0;
                }
            }
        }
        return (double) correct / data.size();
    }
}
