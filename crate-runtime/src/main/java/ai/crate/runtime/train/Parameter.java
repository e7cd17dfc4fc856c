package ai.crate.runtime.train;

/**
 * One trainable tensor: its state-dict key, shape and values, and whether it is trained. Values are a flat float32
 * array in row-major order; gradients live in {@link Gradients}, indexed like the parameter list.
 */
public final class Parameter {
    private final String name;
    private final int[] shape;
    private final float[] values;
    private boolean trainable = true;

    public Parameter(String name, int[] shape, float[] values) {
        long size = 1;
        for (int s : shape) {
            size *= s;
        }
        if (size != values.length) {
            throw new IllegalArgumentException(name + " has shape " + java.util.Arrays.toString(shape) + " but "
                    + values.length + " values");
        }
        this.name = name;
        this.shape = shape.clone();
        this.values = values;
    }

    public String name() {
        return name;
    }

    public int[] shape() {
        return shape.clone();
    }

    public float[] values() {
        return values;
    }

    public int size() {
        return values.length;
    }

    public boolean trainable() {
        return trainable;
    }

    void trainable(boolean value) {
        trainable = value;
    }

    /** LayerNorm weights and biases, Linear biases: what {@code --no-decay-norm-bias} exempts from weight decay. */
    public boolean isNormOrBias() {
        return name.endsWith(".bias") || shape.length == 1;
    }
}
