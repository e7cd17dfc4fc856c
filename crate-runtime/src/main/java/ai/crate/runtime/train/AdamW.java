package ai.crate.runtime.train;

import java.util.List;

/**
 * {@code torch.optim.AdamW}: decoupled weight decay ({@code p ← p·(1 − lr·wd)}), then Adam with bias correction, in
 * PyTorch's order of float32 operations.
 */
final class AdamW extends StatefulOptimizer {
    private final double weightDecay;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final boolean decayNormAndBias;

    AdamW(double weightDecay, double beta1, double beta2, double eps, boolean decayNormAndBias) {
        this.weightDecay = weightDecay;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.decayNormAndBias = decayNormAndBias;
    }

    @Override
    public void step(List<Parameter> parameters, Gradients gradients, double lr) {
        int n = OptimizerState.indexCheck(parameters, gradients);
        long t = state.advance();
        double biasCorrection1 = 1 - Math.pow(beta1, t);
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        float stepSize = (float) (lr / biasCorrection1);
        float b1 = (float) (1 - beta1);
        float beta1f = (float) beta1;
        float b2 = (float) beta2;
        float oneMinusB2 = (float) (1 - beta2);
        float correction = (float) biasCorrection2Sqrt;
        float epsilon = (float) eps;
        for (int i = 0; i < n; i++) {
            Parameter p = parameters.get(i);
            if (!p.trainable()) {
                continue;
            }
            float[] w = p.values();
            float[] g = gradients.get(i);
            float[] m = state.buffer(p, "exp_avg");
            float[] v = state.buffer(p, "exp_avg_sq");
            float decay = OptimizerState.decayFactor(p, lr, weightDecay, decayNormAndBias);
            for (int j = 0; j < w.length; j++) {
                if (decay != 1f) {
                    w[j] *= decay;
                }
                m[j] = m[j] * beta1f + g[j] * b1;
                v[j] = v[j] * b2 + oneMinusB2 * g[j] * g[j];
                float denominator = (float) Math.sqrt(v[j]) / correction + epsilon;
                w[j] += -stepSize * (m[j] / denominator);
            }
        }
    }

    @Override
    public String name() {
        return "adamw";
    }
}
