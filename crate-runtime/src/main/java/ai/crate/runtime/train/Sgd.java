package ai.crate.runtime.train;

import java.util.List;

/**
 * {@code torch.optim.SGD}: weight decay added to the gradient, optional momentum (the first step's buffer is the
 * gradient itself, no dampening) and Nesterov momentum.
 */
final class Sgd extends StatefulOptimizer {
    private final double weightDecay;
    private final double momentum;
    private final boolean nesterov;
    private final boolean decayNormAndBias;

    Sgd(double weightDecay, double momentum, boolean nesterov, boolean decayNormAndBias) {
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("nesterov momentum needs a momentum above 0");
        }
        this.weightDecay = weightDecay;
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.decayNormAndBias = decayNormAndBias;
    }

    @Override
    public void step(List<Parameter> parameters, Gradients gradients, double lr) {
        int n = OptimizerState.indexCheck(parameters, gradients);
        state.advance();
        float rate = (float) lr;
        float mu = (float) momentum;
        for (int i = 0; i < n; i++) {
            Parameter p = parameters.get(i);
            if (!p.trainable()) {
                continue;
            }
            float[] w = p.values();
            float[] g = gradients.get(i);
            boolean decay = OptimizerState.decays(p, weightDecay, decayNormAndBias);
            float wd = (float) weightDecay;
            boolean first = momentum != 0 && !state.has(p, "momentum_buffer");
            float[] buffer = momentum != 0 ? state.buffer(p, "momentum_buffer") : null;
            for (int j = 0; j < w.length; j++) {
                float d = decay ? g[j] + wd * w[j] : g[j];
                if (buffer != null) {
                    buffer[j] = first ? d : mu * buffer[j] + d;
                    d = nesterov ? d + mu * buffer[j] : buffer[j];
                }
                w[j] -= rate * d;
            }
        }
    }

    @Override
    public String name() {
        return "sgd";
    }
}
