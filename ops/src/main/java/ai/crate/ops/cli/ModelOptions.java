package ai.crate.ops.cli;

import ai.crate.runtime.CrateException;
import ai.crate.runtime.config.ConfigException;
import ai.crate.runtime.config.CrateConfigJson;
import ai.crate.runtime.config.PartialConfig;
import ai.crate.runtime.config.Presets;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;

/** The {@code --model M [--config C.json | --arch NAME]} options shared by every command that loads a model. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "M",
            description = "A bundle directory, a .safetensors file or a torch.save checkpoint (.pth, .pth.tar, .pt).")
    Path model;

    @ArgGroup(exclusive = true)
    ConfigChoice config;

    static final class ConfigChoice {
        @Option(names = "--config", paramLabel = "C.json",
                description = "Model config JSON (authors' keys); keys the weights determine may be left out.")
        Path file;

        @Option(names = "--arch", paramLabel = "NAME", description = "A preset: tiny, small, base or large.")
        String arch;
    }

    LoadedModel load() throws CrateException {
        return ModelLoader.load(model, partialConfig());
    }

    private Optional<PartialConfig> partialConfig() throws ConfigException {
        if (config == null) {
            return Optional.empty();
        }
        if (config.file != null) {
            return Optional.of(CrateConfigJson.readPartial(config.file));
        }
        return Optional.of(PartialConfig.of(Presets.named(config.arch)));
    }
}
