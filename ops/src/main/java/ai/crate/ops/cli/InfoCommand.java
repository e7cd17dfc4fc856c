package ai.crate.ops.cli;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.CrateConfigJson;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.tensor.Shapes;
import ai.crate.runtime.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code crate info}: a model's config, parameter count, multiply-adds per image and tensors. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show a model's config, parameter count, multiply-adds per image and tensors.")
final class InfoCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Override
    public Integer call() throws Exception {
        LoadedModel model = modelOptions.load();
        CrateConfig config = model.config();
        PrintStream out = System.out;
        out.println("model:        " + model.source() + " (" + model.layout() + ")");
        out.println("name:         " + model.name() + " version " + model.version());
        out.println("config:       " + CrateConfigJson.toJsonString(config).replaceAll("\\s+", " "));
        out.printf(Locale.ROOT, "parameters:   %,d%n", config.parameterCount());
        out.printf(Locale.ROOT, "mult-adds:    %,d per image (reference graph, %d tokens)%n", config.multiplyAdds(),
                config.tokens());
        out.println("tensors:      " + model.weights().tensors().size());
        for (Tensor tensor : model.weights().tensors().values()) {
            out.printf(Locale.ROOT, "  %-48s %s%n", tensor.name(), Shapes.format(tensor.shape()));
        }
        return 0;
    }
}
