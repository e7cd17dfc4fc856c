package ai.crate.ops.cli;

import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.npy.Npy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code crate infer}: logits for a {@code .npy} batch of normalised images. */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = "Run the model on X.npy (float32 [B, C, H, W], normalised) and write logits Y.npy"
                + " (float32 [B, num_classes]).")
final class InferCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    EngineOptionsMixin engineOptions;

    @Option(names = "--input", required = true, paramLabel = "X.npy", description = "Images, float32 [B, C, H, W].")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "Y.npy", description = "Logits to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
        LoadedModel model = modelOptions.load();
        ImageInput images = ImageInput.read(input, model.config());
        float[] logits;
        try (CrateEngine engine = engineOptions.create(model.weights())) {
            logits = engineOptions.run(engine, images, LayerObserver.NONE);
        }
        Npy.writeFloat32(output, new int[] {images.batch(), model.config().numClasses()}, logits);
        System.out.println("wrote " + output + ": logits [" + images.batch() + ", " + model.config().numClasses()
                + "]");
        return 0;
    }
}
