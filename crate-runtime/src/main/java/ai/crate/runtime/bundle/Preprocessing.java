package ai.crate.runtime.bundle;

import ai.crate.runtime.config.CrateConfig;

/**
 * How frames must be prepared for the model, as torchvision's {@code Resize(resize)}, {@code CenterCrop(crop)} and
 * {@code Normalize(mean, std)}: {@code resize} is the target of the shorter side, {@code cropHeight}×{@code cropWidth}
 * the centre crop, {@code mean} and {@code std} per channel on values scaled to [0, 1].
 */
public record Preprocessing(int resize, int cropHeight, int cropWidth, double[] mean, double[] std) {
    public static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};
    public static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

    /** ImageNet's normalisation, shorter side resized to {@code image_size·256/224}, centre crop to the image size. */
    public static Preprocessing imagenetDefaults(CrateConfig config) {
        int shorter = Math.min(config.imageHeight(), config.imageWidth());
        double[] mean = config.channels() == 3 ? IMAGENET_MEAN.clone() : filled(config.channels(), 0.5);
        double[] std = config.channels() == 3 ? IMAGENET_STD.clone() : filled(config.channels(), 0.5);
        return new Preprocessing((int) Math.round(shorter * 256.0 / 224.0), config.imageHeight(),
                config.imageWidth(), mean, std);
    }

    private static double[] filled(int n, double value) {
        double[] out = new double[n];
        java.util.Arrays.fill(out, value);
        return out;
    }
}
