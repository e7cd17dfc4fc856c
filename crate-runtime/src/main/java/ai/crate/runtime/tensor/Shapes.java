package ai.crate.runtime.tensor;

import java.util.Arrays;

/** Small helpers for tensor shapes: element counts and the {@code [a, b, c]} notation used in messages. */
public final class Shapes {
    private Shapes() {
    }

    /** The number of elements of a shape; fails if it does not fit an {@code int}. */
    public static int numel(int... shape) {
        long n = 1;
        for (int s : shape) {
            n *= s;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + format(shape) + " has more than 2^31-1 elements");
            }
        }
        return (int) n;
    }

    public static String format(int... shape) {
        return Arrays.toString(shape);
    }

    public static String format(long... shape) {
        return Arrays.toString(shape);
    }
}
