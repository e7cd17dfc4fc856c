package ai.crate.ops.cli;

import ai.crate.patchify.ImageFolderTrainingSet;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.patchify.shapes.ShapeClass;
import ai.crate.patchify.shapes.ShapesDataset;
import ai.crate.runtime.bundle.Preprocessing;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.npy.NpyException;
import ai.crate.runtime.train.NpyTrainingSet;
import ai.crate.runtime.train.TrainingSet;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The labelled data of {@code train} and {@code eval}: {@code --images X.npy --labels Y.npy}, an image folder
 * {@code --data DIR} ({@code DIR/<class>/<image>}), or the generated {@code --dataset shapes[:N[:SEED]]}.
 */
final class DataOptions {
    @ArgGroup(exclusive = false)
    Npy npy;

    @Option(names = "--data", paramLabel = "DIR", description = "Class folders: DIR/<class>/<image>.jpg|png.")
    Path folder;

    @Option(names = "--dataset", paramLabel = "shapes[:N[:SEED]]",
            description = "Generated data: shapes (10 classes), N images (default 10000), SEED (default 1).")
    String dataset;

    static final class Npy {
        @Option(names = "--images", required = true, paramLabel = "X.npy",
            description = "float32 [N, C, H, W], normalised.")
        Path images;

        @Option(names = "--labels", required = true, paramLabel = "Y.npy", description = "int64 or int32 [N].")
        Path labels;
    }

    /** The data set, prepared for {@code config} with {@code preprocessing}; its class names when it has them. */
    Loaded open(CrateConfig config, Preprocessing preprocessing) throws IOException, NpyException {
        int given = (npy != null ? 1 : 0) + (folder != null ? 1 : 0) + (dataset != null ? 1 : 0);
        if (given != 1) {
            throw new IllegalArgumentException("give exactly one of --images/--labels, --data or --dataset");
        }
        PreprocessSpec spec = new PreprocessSpec(preprocessing, ResizeMode.SHORTER_SIDE);
        if (npy != null) {
            return new Loaded(NpyTrainingSet.read(npy.images, npy.labels, config), Optional.empty());
        }
        if (folder != null) {
            ImageFolderTrainingSet set = ImageFolderTrainingSet.open(folder, spec);
            requireClasses(config, set.classes().size(), folder.toString());
            return new Loaded(set, Optional.of(set.classes()));
        }
        ShapesDataset shapes = ShapesDataset.parse(dataset, 2 * Math.max(config.imageHeight(), config.imageWidth()),
                spec);
        requireClasses(config, ShapeClass.values().length, "shapes");
        return new Loaded(shapes, Optional.of(ShapeClass.labels()));
    }

    private static void requireClasses(CrateConfig config, int classes, String what) {
        if (classes != config.numClasses()) {
            throw new IllegalArgumentException(what + " has " + classes + " classes but the model has "
                    + config.numClasses() + " outputs; set num_classes to " + classes);
        }
    }

    /** A data set and, when known, its class names in label order. */
    record Loaded(TrainingSet set, Optional<List<String>> classNames) {
    }
}
