package ai.crate.runtime.train;

import java.util.Map;

/** What every optimiser here shares: its per-parameter buffers and step count, exposed for checkpoints. */
abstract class StatefulOptimizer implements Optimizer {
    protected final OptimizerState state = new OptimizerState();

    @Override
    public long steps() {
        return state.steps();
    }

    @Override
    public Map<String, float[]> state() {
        return state.buffers();
    }

    @Override
    public void restore(Map<String, float[]> buffers, long steps) {
        state.restore(buffers, steps);
    }
}
