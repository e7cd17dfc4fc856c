package ai.crate.runtime.train;

import ai.crate.runtime.config.ConfigException;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every parameter's gradient from {@link Backprop} against central finite differences of an independent
 * double-precision forward pass ({@link DoubleCrate}), on small models covering cls and mean pooling, a single head
 * without {@code to_out}, and label smoothing. Values are spread (unit-variance embeddings, norms away from 1 and 0)
 * so that no ReLU input sits within the finite-difference step of its kink.
 */
class GradientCheckTest {

    @ParameterizedTest
    @ValueSource(strings = {"cls", "mean", "single-head", "smoothing"})
    void everyGradientMatchesFiniteDifferences(String variant) throws ConfigException {
        CrateConfig.Builder builder = CrateConfig.builder().imageSize(8, 12).patchSize(4).numClasses(3).dim(8)
                .depth(2).heads(2).dimHead(4).channels(3).ista(0.1f).lambd(0.1f)
                .pool(variant.equals("mean") ? Pool.MEAN : Pool.CLS);
        if (variant.equals("single-head")) {
            builder.heads(1).dimHead(8);
        }
        CrateConfig config = builder.build();
        float smoothing = variant.equals("smoothing") ? 0.1f : 0f;
        TrainableCrate model = TrainableCrate.initialised(config, 7);
        Random random = new Random(11);
        for (Parameter p : model.parameters()) {
            if (p.name().contains("norm") && p.name().endsWith("weight")) {
                for (int i = 0; i < p.size(); i++) {
                    p.values()[i] = 0.5f + random.nextFloat();
                }
            } else if (p.name().contains("norm") && p.name().endsWith("bias")) {
                for (int i = 0; i < p.size(); i++) {
                    p.values()[i] = 0.3f * (float) random.nextGaussian();
                }
            } else if (p.name().equals("cls_token") || p.name().equals("pos_embedding")) {
                for (int i = 0; i < p.size(); i++) {
                    p.values()[i] = (float) random.nextGaussian();
                }
            } else if (p.name().endsWith("fn.weight")) {
                for (int i = 0; i < p.size(); i++) {
                    p.values()[i] = 0.5f * (float) random.nextGaussian();
                }
            }
        }
        int batch = 3;
        float[] images = new float[batch * 3 * 8 * 12];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        int[] labels = {0, 2, 1};

        Gradients analytic = new Gradients(model);
        try (Backprop backprop = new Backprop(model, 2)) {
            backprop.gradients(images, labels, batch, smoothing, analytic);
        }
        double[][] values = new double[model.parameters().size()][];
        for (int i = 0; i < values.length; i++) {
            float[] f = model.parameters().get(i).values();
            values[i] = new double[f.length];
            for (int j = 0; j < f.length; j++) {
                values[i][j] = f[j];
            }
        }
        double h = 1e-5;
        for (int index = 0; index < values.length; index++) {
            Parameter p = model.parameters().get(index);
            double[] numeric = new double[p.size()];
            for (int j = 0; j < p.size(); j++) {
                double saved = values[index][j];
                values[index][j] = saved + h;
                double plus = DoubleCrate.meanLoss(model, values, images, labels, batch, smoothing);
                values[index][j] = saved - h;
                double minus = DoubleCrate.meanLoss(model, values, images, labels, batch, smoothing);
                values[index][j] = saved;
                numeric[j] = (plus - minus) / (2 * h);
            }
            double scale = 0;
            double worst = 0;
            for (int j = 0; j < p.size(); j++) {
                scale = Math.max(scale, Math.abs(numeric[j]));
                worst = Math.max(worst, Math.abs(numeric[j] - analytic.get(index)[j]));
            }
            assertThat(worst).as("%s (%s): largest error against a largest gradient of %.3g", p.name(), variant,
                    scale).isLessThanOrEqualTo(1e-3 * scale + 1e-7);
        }
    }
}
