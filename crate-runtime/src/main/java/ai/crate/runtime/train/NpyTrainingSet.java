package ai.crate.runtime.train;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.npy.Npy;
import ai.crate.runtime.npy.NpyArray;
import ai.crate.runtime.npy.NpyException;
import ai.crate.runtime.npy.NpyType;

import java.nio.file.Path;

/**
 * Images {@code [N, C, H, W]} (float32, already normalised) and labels {@code [N]} (int64 or int32) from two
 * {@code .npy} files, checked against the model's config and class count.
 */
public final class NpyTrainingSet implements TrainingSet {
    private final float[] images;
    private final int[] labels;
    private final int imageFloats;
    private final String description;

    private NpyTrainingSet(float[] images, int[] labels, int imageFloats, String description) {
        this.images = images;
        this.labels = labels;
        this.imageFloats = imageFloats;
        this.description = description;
    }

    /**
     * @throws NpyException naming the file and what is wrong: rank, shape against the config, label type or range,
     *                      or a different number of images and labels
     */
    public static NpyTrainingSet read(Path imagesFile, Path labelsFile, CrateConfig config) throws NpyException {
        NpyArray imageArray = Npy.read(imagesFile).requireRank(4, "[N, C, H, W]");
        int[] shape = imageArray.shape();
        if (shape[1] != config.channels() || shape[2] != config.imageHeight() || shape[3] != config.imageWidth()) {
            throw new NpyException(imagesFile + ": images are [" + shape[1] + ", " + shape[2] + ", " + shape[3]
                    + "] but the model takes [" + config.channels() + ", " + config.imageHeight() + ", "
                    + config.imageWidth() + "]");
        }
        float[] images = imageArray.toFloats();
        for (int i = 0; i < images.length; i++) {
            if (!Float.isFinite(images[i])) {
                throw new NpyException(imagesFile + ": value " + i + " is " + images[i] + "; images must be finite");
            }
        }
        NpyArray labelArray = Npy.read(labelsFile).requireRank(1, "[N]");
        if (labelArray.type() == NpyType.FLOAT32 || labelArray.type() == NpyType.FLOAT64) {
            throw new NpyException(labelsFile + ": labels are " + labelArray.type() + "; expected int64 or int32");
        }
        long[] raw = labelArray.toLongs();
        if (raw.length != shape[0]) {
            throw new NpyException(labelsFile + ": " + raw.length + " labels for " + shape[0] + " images in "
                    + imagesFile);
        }
        int[] labels = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] < 0 || raw[i] >= config.numClasses()) {
                throw new NpyException(labelsFile + ": label " + raw[i] + " at " + i + " is outside 0.."
                        + (config.numClasses() - 1));
            }
            labels[i] = (int) raw[i];
        }
        return new NpyTrainingSet(images, labels, shape[1] * shape[2] * shape[3], imagesFile.getFileName().toString());
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int imageFloats() {
        return imageFloats;
    }

    @Override
    public void image(int index, float[] out, int offset) {
        System.arraycopy(images, index * imageFloats, out, offset, imageFloats);
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public String describe() {
        return description;
    }
}
