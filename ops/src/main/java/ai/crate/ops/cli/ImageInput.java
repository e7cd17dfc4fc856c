package ai.crate.ops.cli;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.npy.Npy;
import ai.crate.runtime.npy.NpyArray;
import ai.crate.runtime.npy.NpyException;
import ai.crate.runtime.npy.NpyType;

import java.nio.file.Path;

/** A batch of normalised images read from a float32 {@code [B, C, H, W]} {@code .npy} file and checked against a model. */
record ImageInput(float[] images, int batch) {

    static ImageInput read(Path file, CrateConfig config) throws NpyException {
        NpyArray array = Npy.read(file).requireType(NpyType.FLOAT32).requireRank(4, "[batch, channels, height, width]");
        int[] shape = array.shape();
        if (shape[1] != config.channels() || shape[2] != config.imageHeight() || shape[3] != config.imageWidth()) {
            throw new NpyException(file + ": images are [" + shape[1] + ", " + shape[2] + ", " + shape[3]
                    + "] but the model expects [" + config.channels() + ", " + config.imageHeight() + ", "
                    + config.imageWidth() + "] (channels, height, width)");
        }
        if (shape[0] == 0) {
            throw new NpyException(file + ": holds no images (batch dimension is 0)");
        }
        float[] images = array.toFloats();
        int perImage = images.length / shape[0];
        for (int i = 0; i < images.length; i++) {
            if (!Float.isFinite(images[i])) {
                throw new NpyException(file + ": image " + i / perImage + " holds " + images[i] + " at flat index "
                        + i + "; inputs must be finite (check the preprocessing)");
            }
        }
        return new ImageInput(images, shape[0]);
    }
}
