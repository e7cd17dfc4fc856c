package ai.crate.flink;

import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.patchify.shapes.ShapeClass;
import ai.crate.patchify.shapes.ShapesDataset;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.npy.NpyException;
import ai.crate.runtime.train.NpyTrainingSet;
import ai.crate.runtime.train.TrainingSet;

import java.nio.file.Path;

/**
 * The fixed regression set of {@code --regression}, which every candidate must not do worse on: the synthetic
 * {@code shapes[:N[:SEED]]} (or {@code shapes-shifted…}), or {@code IMAGES.npy,LABELS.npy} prepared as for training.
 */
final class RegressionSet {
    private RegressionSet() {
    }

    /** Opens {@code spec} for {@code model}; an unreadable or unsuitable set is refused with the option named. */
    static TrainingSet open(String spec, LoadedModel model) {
        String[] npy = spec.split(",");
        if (npy.length == 2) {
            try {
                return NpyTrainingSet.read(Path.of(npy[0].trim()), Path.of(npy[1].trim()), model.config());
            } catch (NpyException e) {
                throw new IllegalArgumentException("--regression " + spec + ": " + e.getMessage());
            }
        }
        if (!spec.startsWith("shapes")) {
            throw new IllegalArgumentException("--regression must be shapes[:N[:SEED]], shapes-shifted[:N[:SEED]] or"
                    + " IMAGES.npy,LABELS.npy; got '" + spec + "'");
        }
        PreprocessSpec prepare = new PreprocessSpec(model.preprocessing(), ResizeMode.SHORTER_SIDE);
        ShapesDataset shapes = ShapesDataset.parse(spec, 2 * Math.max(model.config().imageHeight(),
                model.config().imageWidth()), prepare);
        if (!model.labels().equals(ShapeClass.labels())) {
            throw new IllegalArgumentException("--regression " + spec + ": the shapes data set's classes "
                    + ShapeClass.labels() + " are not " + model.name() + "'s " + model.labels());
        }
        return shapes;
    }
}
