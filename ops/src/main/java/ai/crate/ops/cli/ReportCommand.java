package ai.crate.ops.cli;

import ai.crate.calibration.CalibrationImages;
import ai.crate.calibration.CalibrationSources;
import ai.crate.calibration.report.ModelReport;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.quant.QuantizationTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code crate report}: the white-box HTML report of a model on some input. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write a self-contained HTML report: per-layer coding rate and sparsity, each head's attention"
                + " over input frames, top-k predictions, and for a calibrated model FP32 against INT8.")
final class ReportCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--input", required = true, paramLabel = "SRC",
            description = "A video file or stream URI, an image directory, a float32 [N, C, H, W] .npy,"
                    + " kafka://HOST:PORT/TOPIC or shapes[:N[:SEED]].")
    String input;

    @Option(names = "--output", required = true, paramLabel = "report.html", description = "The page to write.")
    Path output;

    @Option(names = "--calibration", paramLabel = "T.json",
            description = "A calibration table for the FP32-vs-INT8 section (default: the bundle's calibration.json"
                    + " when it has one).")
    Path calibration;

    @Option(names = "--images", defaultValue = "64", description = "Images measured (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--frames", defaultValue = "4",
            description = "Frames shown with their predictions and attention maps (default: ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--layer", defaultValue = "-1",
            description = "Layer whose attention is drawn (default: the last).")
    int layer;

    @Option(names = "--top-k", defaultValue = "5", description = "Predictions listed per frame (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        LoadedModel model = modelOptions.load();
        QuantizationTable table = table();
        if (table != null) {
            table.requireFor(model.config(), String.valueOf(calibration != null ? calibration
                    : modelOptions.model.resolve(QuantizationTable.FILE)));
        }
        PreprocessSpec spec = new PreprocessSpec(model.preprocessing(), ResizeMode.SHORTER_SIDE);
        CalibrationImages set = CalibrationSources.read(input, spec, images, n -> System.err.printf("\r  %d images", n));
        System.err.printf("\r  %s: %d images%n", set.source(), set.count());
        int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        AtomicInteger batches = new AtomicInteger();
        int total = (set.count() + 7) / 8;
        ModelReport.write(new ModelReport.Model(model.name(), model.version(), model.weights(), model.labels(),
                model.preprocessing()), set, table, new ModelReport.Settings(frames, layer, topK, workers, 8), output,
                () -> System.err.printf("\r  measured %d/%d batches", batches.incrementAndGet(), total));
        System.err.println();
        System.out.printf("wrote %s (%d KiB, %d images%s)%n", output, Files.size(output) >> 10, set.count(),
                table != null ? ", FP32 against INT8" : "");
        return 0;
    }

    private QuantizationTable table() throws Exception {
        if (calibration != null) {
            return QuantizationTable.read(calibration);
        }
        Path inBundle = modelOptions.model.resolve(QuantizationTable.FILE);
        return ModelBundle.isBundle(modelOptions.model) && Files.isRegularFile(inBundle)
                ? QuantizationTable.read(inBundle) : null;
    }
}
