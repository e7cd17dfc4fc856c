package ai.crate.calibration;

import java.util.Arrays;

/**
 * Preprocessed images {@code [count, C, H, W]} for calibration or verification, and where they came from. Images
 * are kept in memory: a calibration set is hundreds of images, not a data set.
 */
public record CalibrationImages(float[] images, int count, int imageFloats, String source) {
    public CalibrationImages {
        if (count < 1) {
            throw new IllegalArgumentException(source + ": holds no images");
        }
        if (images.length != count * imageFloats) {
            throw new IllegalArgumentException(source + ": " + images.length + " floats for " + count + " images of "
                    + imageFloats);
        }
    }

    /** Images {@code [from, to)} as one batch. */
    public float[] batch(int from, int to) {
        return Arrays.copyOfRange(images, from * imageFloats, to * imageFloats);
    }

    /**
     * Splits off every {@code 1/fraction}-th image (evenly spread, so consecutive video frames do not all land on one
     * side) as a held-out set; returns {@code [calibration, held out]}.
     */
    public CalibrationImages[] split(double fraction) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("the held-out fraction must be in (0, 1), got " + fraction);
        }
        int heldOut = (int) Math.round(count * fraction);
        if (heldOut < 1 || heldOut >= count) {
            throw new IllegalArgumentException(source + ": " + count + " images are too few to hold out " + fraction
                    + " of them for verification; give more data or --verify-data");
        }
        float[] kept = new float[(count - heldOut) * imageFloats];
        float[] held = new float[heldOut * imageFloats];
        int k = 0;
        int h = 0;
        for (int i = 0; i < count; i++) {
            boolean hold = h < heldOut && (long) i * heldOut / count != (long) (i + 1) * heldOut / count;
            if (hold) {
                System.arraycopy(images, i * imageFloats, held, h++ * imageFloats, imageFloats);
            } else {
                System.arraycopy(images, i * imageFloats, kept, k++ * imageFloats, imageFloats);
            }
        }
        return new CalibrationImages[] {new CalibrationImages(kept, k, imageFloats, source + " (calibration part)"),
                new CalibrationImages(held, h, imageFloats, source + " (held out)")};
    }
}
