package ai.crate.runtime.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Per-parameter buffers of an optimiser, created on first use, named {@code <parameter>.<buffer>}. */
final class OptimizerState {
    private final Map<String, float[]> buffers = new LinkedHashMap<>();
    private long steps;

    float[] buffer(Parameter parameter, String kind) {
        return buffers.computeIfAbsent(parameter.name() + "." + kind, key -> new float[parameter.size()]);
    }

    boolean has(Parameter parameter, String kind) {
        return buffers.containsKey(parameter.name() + "." + kind);
    }

    long steps() {
        return steps;
    }

    long advance() {
        return ++steps;
    }

    Map<String, float[]> buffers() {
        return buffers;
    }

    void restore(Map<String, float[]> state, long restoredSteps) {
        buffers.clear();
        buffers.putAll(state);
        steps = restoredSteps;
    }

    static float decayFactor(Parameter parameter, double lr, double weightDecay, boolean decayNormAndBias) {
        if (weightDecay == 0 || (!decayNormAndBias && parameter.isNormOrBias())) {
            return 1f;
        }
        return (float) (1.0 - lr * weightDecay);
    }

    static boolean decays(Parameter parameter, double weightDecay, boolean decayNormAndBias) {
        return weightDecay != 0 && (decayNormAndBias || !parameter.isNormOrBias());
    }

    static int indexCheck(List<Parameter> parameters, Gradients gradients) {
        if (parameters.size() != gradients.count()) {
            throw new IllegalArgumentException(parameters.size() + " parameters but " + gradients.count()
                    + " gradients");
        }
        return parameters.size();
    }
}
