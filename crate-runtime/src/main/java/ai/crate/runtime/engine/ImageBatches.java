package ai.crate.runtime.engine;

import ai.crate.runtime.config.CrateConfig;

/** The input check every engine makes: {@code batch} images of the config's {@code [C, H, W]}, nothing more or less. */
public final class ImageBatches {
    private ImageBatches() {
    }

    /** Fails with a message giving both sizes unless {@code images} holds exactly {@code batch} images. */
    public static void requireShape(CrateConfig config, float[] images, int batch) {
        long imageFloats = (long) config.channels() * config.imageHeight() * config.imageWidth();
        if (batch < 1 || images.length != batch * imageFloats) {
            throw new IllegalArgumentException("expected " + batch + " images of [" + config.channels() + ", "
                    + config.imageHeight() + ", " + config.imageWidth() + "] = " + batch * imageFloats
                    + " floats, got " + images.length);
        }
    }
}
