package ai.crate.runtime.train;

import java.util.List;

/**
 * One gradient array per parameter of a {@link TrainableCrate}, indexed like {@link TrainableCrate#parameters()}.
 * Workers each fill their own, which are then summed in a fixed order so results do not depend on thread timing.
 */
public final class Gradients {
    private final float[][] values;

    public Gradients(TrainableCrate model) {
        List<Parameter> parameters = model.parameters();
        values = new float[parameters.size()][];
        for (int i = 0; i < values.length; i++) {
            values[i] = new float[parameters.get(i).size()];
        }
    }

    /** The gradient of parameter {@code index}. */
    public float[] get(int index) {
        return values[index];
    }

    public int count() {
        return values.length;
    }

    void clear() {
        for (float[] v : values) {
            java.util.Arrays.fill(v, 0f);
        }
    }

    void add(Gradients other) {
        for (int i = 0; i < values.length; i++) {
            float[] to = values[i];
            float[] from = other.values[i];
            for (int j = 0; j < to.length; j++) {
                to[j] += from[j];
            }
        }
    }

    void scale(float factor) {
        for (float[] v : values) {
            for (int j = 0; j < v.length; j++) {
                v[j] *= factor;
            }
        }
    }

    /** The L2 norm over the gradients of the given parameters (all, for clipping as {@code clip_grad_norm_}). */
    double norm() {
        double sum = 0;
        for (float[] v : values) {
            for (float x : v) {
                sum += (double) x * x;
            }
        }
        return Math.sqrt(sum);
    }
}
