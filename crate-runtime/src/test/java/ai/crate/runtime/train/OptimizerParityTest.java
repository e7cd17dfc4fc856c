package ai.crate.runtime.train;

import ai.crate.runtime.checkpoint.Checkpoints;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.CrateConfigJson;
import ai.crate.runtime.model.CrateWeights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Training steps against {@code torch.optim} on the authors' model
 * ({@code src/test/python/make_train_fixtures.py}): every weight within 1e-5·max(1, |w|) of PyTorch's.
 */
class OptimizerParityTest {
    private static final Path FIXTURES = Path.of("src/test/resources/fixtures/train");

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "sgd, sgd, 0.1, NaN, NaN, false, 1, 0, labels-int64.npy",
            "sgd, sgd, 0.1, NaN, NaN, false, 1, 0, labels-int32.npy",
            "adamw, adamw, 0.001, 0.05, NaN, false, 1, 0, labels-int64.npy",
            "sgd-momentum, sgd, 0.05, 1e-4, 0.9, true, 2, 0, labels-int64.npy",
            "lion, lion, 0.001, 0.1, NaN, false, 2, 0, labels-int64.npy",
            "smoothing-sgd, sgd, 0.1, NaN, NaN, false, 1, 0.1, labels-int64.npy"})
    void stepsMatchPyTorch(String expected, String optimizer, double lr, double weightDecay, double momentum,
                           boolean nesterov, int steps, float smoothing, String labels) throws Exception {
        CrateConfig config = CrateConfigJson.read(FIXTURES.resolve("config.json"));
        TrainableCrate model = TrainableCrate.of(CrateWeights.from(config,
                Checkpoints.read(FIXTURES.resolve("checkpoint.pth"))));
        NpyTrainingSet data = NpyTrainingSet.read(FIXTURES.resolve("images.npy"), FIXTURES.resolve(labels), config);
        Optimizer.Settings settings = new Optimizer.Settings(optimizer, weightDecay, momentum, nesterov, Double.NaN,
                Double.NaN, Double.NaN, true);
        TrainingSettings training = new TrainingSettings(data.size(), steps, false, smoothing, 0,
                LearningRateSchedule.constant(lr), 2, 1);
        new Trainer(training, Optimizer.create(settings)).train(model, data, TrainingListener.NONE);

        CrateWeights torch = CrateWeights.from(config, Checkpoints.read(FIXTURES.resolve(expected + ".pth")));
        double worst = 0;
        String where = "";
        for (Parameter p : model.parameters()) {
            float[] want = torch.get(p.name()).toArray();
            float[] got = p.values();
            for (int i = 0; i < got.length; i++) {
                double error = Math.abs(got[i] - want[i]) / Math.max(1.0, Math.abs(want[i]));
                if (error > worst) {
                    worst = error;
                    where = p.name() + "[" + i + "]";
                }
            }
        }
        System.out.printf("%s: largest relative difference to PyTorch %.2e at %s%n", expected, worst, where);
        assertThat(worst).as("largest difference, at %s", where).isLessThanOrEqualTo(1e-5);
    }
}
