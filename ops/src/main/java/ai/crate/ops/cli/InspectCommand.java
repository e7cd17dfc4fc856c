package ai.crate.ops.cli;

import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.whitebox.LayerStats;
import ai.crate.runtime.whitebox.WhiteBoxRecorder;
import ai.crate.runtime.whitebox.WhiteBoxReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code crate inspect}: per-layer coding rate and sparsity of a model on a batch of images. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Measure every layer on X.npy: coding rate (compression) and sparsity, written as JSON and"
                + " printed as a table.")
final class InspectCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Mixin
    EngineOptionsMixin engineOptions;

    @Option(names = "--input", required = true, paramLabel = "X.npy", description = "Images, float32 [B, C, H, W].")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "WB.json", description = "White-box JSON to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
        LoadedModel model = modelOptions.load();
        ImageInput images = ImageInput.read(input, model.config());
        WhiteBoxRecorder recorder = new WhiteBoxRecorder(model.config().depth(), images.batch());
        try (CrateEngine engine = engineOptions.create(model.weights())) {
            engineOptions.run(engine, images, recorder);
        }
        List<LayerStats> stats = recorder.stats();
        Path parent = output.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temp = parent.resolve(output.getFileName() + ".tmp");
        try {
            Files.writeString(temp, WhiteBoxReport.json(stats, images.batch()));
            Files.move(temp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
        System.out.print(WhiteBoxReport.table(stats));
        System.out.println("wrote " + output + " (" + images.batch() + " images)");
        return 0;
    }
}
