package ai.crate.patchify;

import ai.crate.runtime.bundle.Preprocessing;

/**
 * What a {@link Preprocessor} produces: the bundle's {@link Preprocessing} (resize target, crop, mean and std) and the
 * {@link ResizeMode}. Output is float32 {@code [3, cropHeight, cropWidth]}.
 */
public record PreprocessSpec(Preprocessing preprocessing, ResizeMode mode) {
    public PreprocessSpec {
        if (preprocessing == null || mode == null) {
            throw new IllegalArgumentException("preprocessing and resize mode are required");
        }
        if (preprocessing.mean().length != 3 || preprocessing.std().length != 3) {
            throw new IllegalArgumentException("patchify prepares 3-channel images; mean and std must have 3 values, got "
                    + preprocessing.mean().length + " and " + preprocessing.std().length);
        }
        for (double s : preprocessing.std()) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std values must be positive, got " + s);
            }
        }
        if (preprocessing.resize() <= 0 || preprocessing.cropHeight() <= 0 || preprocessing.cropWidth() <= 0) {
            throw new IllegalArgumentException("resize and crop sizes must be positive");
        }
    }

    /** ImageNet's mean and std, shorter side to {@code size·256/224}, centre crop of {@code size}. */
    public static PreprocessSpec imagenet(int size) {
        return new PreprocessSpec(new Preprocessing((int) Math.round(size * 256.0 / 224.0), size, size,
                Preprocessing.IMAGENET_MEAN.clone(), Preprocessing.IMAGENET_STD.clone()), ResizeMode.SHORTER_SIDE);
    }

    public int cropWidth() {
        return preprocessing.cropWidth();
    }

    public int cropHeight() {
        return preprocessing.cropHeight();
    }

    /** Floats per prepared image: {@code 3·cropHeight·cropWidth}. */
    public int imageFloats() {
        return 3 * cropHeight() * cropWidth();
    }
}
