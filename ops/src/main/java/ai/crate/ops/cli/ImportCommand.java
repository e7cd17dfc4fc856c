package ai.crate.ops.cli;

import ai.crate.runtime.bundle.BundleManifest;
import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.load.LoadedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code crate import}: turns a checkpoint into a model bundle (manifest, float32 safetensors, labels). */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Convert a checkpoint into a model bundle directory (manifest.json, weights.safetensors,"
                + " labels.txt).")
final class ImportCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--labels", paramLabel = "L", description = "Labels file, one per class (default class_0 ...).")
    Path labels;

    @Option(names = "--output", required = true, paramLabel = "BUNDLE_DIR",
            description = "Directory to create; must not exist or be empty.")
    Path output;

    @Option(names = "--name", description = "Bundle name (default: the checkpoint's file name).")
    String name;

    @Option(names = "--bundle-version", defaultValue = "1", description = "Bundle version (default: ${DEFAULT-VALUE}).")
    String version;

    @Option(names = "--parent-version", description = "Version this one was derived from, if any.")
    String parentVersion;

    @Override
    public Integer call() throws Exception {
        LoadedModel model = modelOptions.load();
        List<String> labelList = labels == null ? model.labels()
                : ModelBundle.readLabels(labels, model.config().numClasses());
        BundleManifest manifest = ModelBundle.write(output, name != null ? name : model.name(), version,
                parentVersion, model.weights(), labelList, model.preprocessing());
        System.out.println("wrote bundle " + output + ": " + manifest.name() + " version " + manifest.version()
                + ", " + model.config().numClasses() + " classes, weights sha256 "
                + manifest.sha256().get(BundleManifest.WEIGHTS));
        return 0;
    }
}
