package ai.crate.runtime.load;

import ai.crate.runtime.CrateException;
import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.bundle.Preprocessing;
import ai.crate.runtime.checkpoint.Checkpoints;
import ai.crate.runtime.checkpoint.StateDict;
import ai.crate.runtime.config.ConfigException;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.PartialConfig;
import ai.crate.runtime.model.ConfigResolver;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.model.WeightShapes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Loads a model from a bundle directory (which carries its config) or a checkpoint file ({@code .safetensors} or a
 * {@code torch.save} archive), whose config must be given, in full or in part: what the weights determine is filled in,
 * what contradicts them is refused. Usage: {@code ModelLoader.load(path, Optional.of(PartialConfig.of(preset)))}.
 */
public final class ModelLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);

    private ModelLoader() {
    }

    public static LoadedModel load(Path model, Optional<PartialConfig> config) throws CrateException {
        if (Files.isDirectory(model)) {
            if (!ModelBundle.isBundle(model)) {
                throw new CrateException(model + ": a directory without manifest.json is not a model bundle");
            }
            if (config.isPresent()) {
                throw new ConfigException(model + ": a bundle carries its own config; drop --config/--arch");
            }
            long start = System.nanoTime();
            ModelBundle bundle = ModelBundle.open(model);
            LOG.info("loaded bundle {} version {} from {} in {} ms", bundle.manifest().name(),
                    bundle.manifest().version(), model, (System.nanoTime() - start) / 1_000_000);
            return new LoadedModel(model, bundle.manifest().name(), bundle.manifest().version(), "bundle",
                    bundle.weights(), bundle.labels(), bundle.manifest().preprocessing(),
                    bundle.manifest().whiteboxReference());
        }
        long start = System.nanoTime();
        StateDict stateDict = Checkpoints.read(model);
        WeightShapes shapes = WeightShapes.of(stateDict);
        if (config.isEmpty()) {
            throw new ConfigException(model + ": a checkpoint needs a config: give --config C.json or --arch"
                    + " tiny|small|base|large (" + shapes.describe() + ")");
        }
        CrateConfig resolved = ConfigResolver.resolve(model, config.get(), shapes);
        CrateWeights weights = CrateWeights.from(resolved, stateDict);
        LOG.info("loaded {} ({}) in {} ms", model, stateDict.layout(), (System.nanoTime() - start) / 1_000_000);
        return new LoadedModel(model, nameOf(model), "0", stateDict.layout(), weights,
                ModelBundle.defaultLabels(resolved.numClasses()), Preprocessing.imagenetDefaults(resolved), null);
    }

    private static String nameOf(Path model) {
        String file = model.getFileName().toString();
        for (String suffix : new String[] {".safetensors", ".pth.tar", ".pth", ".pt", ".tar", ".bin"}) {
            if (file.endsWith(suffix)) {
                return file.substring(0, file.length() - suffix.length());
            }
        }
        return file;
    }
}
