package ai.crate.runtime.train;

import java.util.List;

/**
 * Lion (Chen et al. 2023, as in {@code lion-pytorch}, which the CRATE paper trains with): decoupled weight decay,
 * then {@code p ← p − lr·sign(β₁·m + (1−β₁)·g)} and {@code m ← β₂·m + (1−β₂)·g}.
 */
final class Lion extends StatefulOptimizer {
    private final double weightDecay;
    private final double beta1;
    private final double beta2;
    private final boolean decayNormAndBias;

    Lion(double weightDecay, double beta1, double beta2, boolean decayNormAndBias) {
        this.weightDecay = weightDecay;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.decayNormAndBias = decayNormAndBias;
    }

    @Override
    public void step(List<Parameter> parameters, Gradients gradients, double lr) {
        int n = OptimizerState.indexCheck(parameters, gradients);
        state.advance();
        float rate = (float) lr;
        float b1 = (float) beta1;
        float oneMinusB1 = (float) (1 - beta1);
        float b2 = (float) beta2;
        float oneMinusB2 = (float) (1 - beta2);
        for (int i = 0; i < n; i++) {
            Parameter p = parameters.get(i);
            if (!p.trainable()) {
                continue;
            }
            float[] w = p.values();
            float[] g = gradients.get(i);
            float[] m = state.buffer(p, "exp_avg");
            float decay = OptimizerState.decayFactor(p, lr, weightDecay, decayNormAndBias);
            for (int j = 0; j < w.length; j++) {
                if (decay != 1f) {
                    w[j] *= decay;
                }
                float update = Math.signum(m[j] * b1 + g[j] * oneMinusB1);
                w[j] -= rate * update;
                m[j] = m[j] * b2 + g[j] * oneMinusB2;
            }
        }
    }

    @Override
    public String name() {
        return "lion";
    }
}
