package ai.crate.patchify.shapes;

import java.util.List;
import java.util.Locale;

/** The ten classes of the {@code shapes} set, in label order. */
public enum ShapeClass {
    CIRCLE, RING, TRIANGLE, SQUARE, STAR, CROSS, CRESCENT, ARROW, STRIPES, CHECKER;

    /** Lower-case names in label order, as written to a bundle's {@code labels.txt}. */
    public static List<String> labels() {
        return java.util.Arrays.stream(values()).map(c -> c.name().toLowerCase(Locale.ROOT)).toList();
    }
}
