package ai.crate.ops.cli;

import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.bundle.Preprocessing;
import ai.crate.runtime.checkpoint.SafetensorsWriter;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.CrateConfigJson;
import ai.crate.runtime.config.PartialConfig;
import ai.crate.runtime.config.Presets;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.train.Freezing;
import ai.crate.runtime.train.LearningRateSchedule;
import ai.crate.runtime.train.Optimizer;
import ai.crate.runtime.train.TrainableCrate;
import ai.crate.runtime.train.Trainer;
import ai.crate.runtime.train.TrainingListener;
import ai.crate.runtime.train.TrainingSettings;
import ai.crate.runtime.train.TrainingState;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code crate train}: trains or fine-tunes CRATE in the JVM and writes the weights under the authors' keys, as a
 * {@code .safetensors} file or a bundle. Checkpoints every {@code --checkpoint-every} steps next to the output;
 * {@code --resume} continues from the last one.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains or fine-tunes CRATE (exact gradients; SGD, AdamW or Lion with PyTorch's semantics).",
                "OUT ending in .safetensors gets the weights under the authors' keys; any other OUT becomes a bundle."})
final class TrainCommand implements Callable<Integer> {

    @ArgGroup(exclusive = false, multiplicity = "1")
    ModelSource source;

    @Mixin
    DataOptions data;

    @Option(names = "--optimizer", required = true, description = "sgd, adamw or lion.")
    String optimizer;

    @Option(names = "--lr", required = true, description = "Learning rate (peak rate with --schedule cosine).")
    double lr;

    @Option(names = "--weight-decay", description = "Default as PyTorch: sgd 0, adamw 0.01, lion 0.")
    Double weightDecay;

    @Option(names = "--momentum", description = "SGD momentum (default 0).")
    Double momentum;

    @Option(names = "--nesterov", description = "SGD with Nesterov momentum.")
    boolean nesterov;

    @Option(names = "--no-decay-norm-bias",
            description = "No weight decay on LayerNorm weights and biases or Linear biases.")
    boolean noDecayNormBias;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Length length;

    @Option(names = "--batch", required = true, description = "Images per step.")
    int batch;

    @Option(names = "--no-shuffle", description = "Take images in order (default: a new permutation per epoch).")
    boolean noShuffle;

    @Option(names = "--label-smoothing", defaultValue = "0", description = "As F.cross_entropy's label_smoothing.")
    float labelSmoothing;

    @Option(names = "--train", defaultValue = "all",
            description = "all, head, or last:K (the last K layers and the head).")
    String train;

    @Option(names = "--schedule", defaultValue = "constant",
            description = "constant or cosine (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--warmup", defaultValue = "0", description = "Warm-up steps for --schedule cosine.")
    long warmup;

    @Option(names = "--min-lr", defaultValue = "0", description = "Final learning rate for --schedule cosine.")
    double minLr;

    @Option(names = "--clip-grad", defaultValue = "0", description = "Clip the gradients' L2 norm to this; 0 for none.")
    double clipGrad;

    @Option(names = "--seed", defaultValue = "1",
            description = "Seed of initialisation and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", description = "Worker threads (default: the number of cores).")
    Integer threads;

    @Option(names = "--output", required = true, paramLabel = "OUT",
            description = "A .safetensors file or a bundle directory.")
    Path output;

    @Option(names = "--name", defaultValue = "crate-trained", description = "Bundle name (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--bundle-version", defaultValue = "1", description = "Bundle version (default: ${DEFAULT-VALUE}).")
    String bundleVersion;

    @Option(names = "--checkpoint-every", defaultValue = "200",
            description = "Steps between resumable checkpoints; 0 for none (default: ${DEFAULT-VALUE}).")
    long checkpointEvery;

    @Option(names = "--resume", description = "Continue from the checkpoint next to OUT, if there is one.")
    boolean resume;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    static final class ModelSource {
        @Option(names = "--model", paramLabel = "M",
            description = "Start from these weights (bundle, .safetensors, torch.save checkpoint).")
        Path model;

        @Option(names = "--config", paramLabel = "C.json", description = "Model config (authors' keys).")
        Path config;

        @Option(names = "--arch", paramLabel = "NAME", description = "A preset: tiny, small, base or large.")
        String arch;
    }

    static final class Length {
        @Option(names = "--steps", description = "Number of optimiser steps.")
        Long steps;

        @Option(names = "--epochs", description = "Number of passes over the data.")
        Integer epochs;
    }

    @Override
    public Integer call() throws Exception {
        if (source.config != null && source.arch != null) {
            throw new IllegalArgumentException("give --config or --arch, not both");
        }
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) {
            java.nio.file.Files.createDirectories(parent);
        }
        Start start = start();
        CrateConfig config = start.model().config();
        DataOptions.Loaded loaded = data.open(config, start.preprocessing());
        Freezing.parse(train).apply(start.model());
        Optimizer opt = Optimizer.create(new Optimizer.Settings(optimizer,
                weightDecay == null ? Double.NaN : weightDecay, momentum == null ? Double.NaN : momentum, nesterov,
                Double.NaN, Double.NaN, Double.NaN, !noDecayNormBias));
        long steps = length.steps != null ? length.steps
                : TrainingSettings.stepsForEpochs(length.epochs, loaded.set().size(), batch);
        LearningRateSchedule rates = schedule.toLowerCase(Locale.ROOT).equals("constant")
                ? LearningRateSchedule.constant(lr) : new LearningRateSchedule(schedule, lr, warmup, steps, minLr);
        int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        TrainingSettings settings = new TrainingSettings(batch, steps, !noShuffle, labelSmoothing, clipGrad, rates,
                workers, seed);

        Path stateBase = output.resolveSibling(output.getFileName() + ".train-state");
        Map<String, String> run = new LinkedHashMap<>();
        run.put("batch", Integer.toString(batch));
        run.put("seed", Long.toString(seed));
        run.put("data", loaded.set().describe());
        run.put("shuffle", Boolean.toString(!noShuffle));
        run.put("threads", Integer.toString(workers));
        if (resume) {
            Optional<Long> step = TrainingState.restore(stateBase, start.model(), opt, run);
            System.err.println(step.map(s -> "crate train: resuming after step " + s + " from " + stateBase)
                    .orElse("crate train: no checkpoint at " + stateBase + "; starting at step 1"));
        }
        System.err.printf(Locale.ROOT, "crate train: %s on %s, %d steps of %d, %s lr %.3g, %d threads%n",
                config.parameterCount() + " parameters", loaded.set().describe(), steps, batch, opt.name(), lr,
                workers);
        TrainingBar bar = new TrainingBar(quiet);
        TrainingListener listener = progress -> {
            bar.update(progress);
            if (checkpointEvery > 0 && progress.step() % checkpointEvery == 0 && progress.step() < progress.total()) {
                try {
                    TrainingState.save(stateBase, start.model(), opt, run);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write the training checkpoint " + stateBase, e);
                }
            }
        };
        long started = System.nanoTime();
        TrainingListener.Progress last = new Trainer(settings, opt).train(start.model(), loaded.set(), listener);
        bar.finish();
        if (checkpointEvery > 0) {
            TrainingState.save(stateBase, start.model(), opt, run);
        }
        write(start, loaded.classNames());
        double seconds = (System.nanoTime() - started) / 1e9;
        if (last == null) {
            System.out.printf(Locale.ROOT, "trained steps=%d (already done) output=%s%n", opt.steps(), output);
        } else {
            System.out.printf(Locale.ROOT, "trained steps=%d loss=%.4f accuracy=%.4f images_per_second=%.1f"
                            + " seconds=%.1f output=%s%n", last.step(), last.recentLoss(), last.recentAccuracy(),
                    last.imagesPerSecond(), seconds, output);
        }
        return 0;
    }

    private record Start(TrainableCrate model, Preprocessing preprocessing, List<String> labels, String parent) {
    }

    private Start start() throws Exception {
        if (source.model != null) {
            Optional<PartialConfig> partial = source.config != null
                    ? Optional.of(CrateConfigJson.readPartial(source.config))
                    : source.arch != null ? Optional.of(PartialConfig.of(Presets.named(source.arch))) : Optional.empty();
            LoadedModel loaded = ModelLoader.load(source.model, partial);
            return new Start(TrainableCrate.of(loaded.weights()), loaded.preprocessing(), loaded.labels(),
                    loaded.version());
        }
        CrateConfig config = source.config != null ? CrateConfigJson.read(source.config)
                : source.arch != null ? Presets.named(source.arch) : null;
        if (config == null) {
            throw new IllegalArgumentException("give --model, --config or --arch");
        }
        return new Start(TrainableCrate.initialised(config, seed), Preprocessing.imagenetDefaults(config),
                ModelBundle.defaultLabels(config.numClasses()), null);
    }

    private void write(Start start, Optional<List<String>> classNames) throws Exception {
        TrainableCrate model = start.model();
        if (output.getFileName().toString().endsWith(".safetensors")) {
            Path parent = output.toAbsolutePath().getParent();
            java.nio.file.Files.createDirectories(parent);
            SafetensorsWriter.write(output, model.toTensors().values(), Map.of("format", "pt"));
            return;
        }
        List<String> labels = classNames.orElse(start.labels());
        CrateWeights weights = CrateWeights.of(model.config(), model.toTensors(), output);
        ModelBundle.write(output, name, bundleVersion, start.parent(), weights, labels, start.preprocessing());
    }
}
