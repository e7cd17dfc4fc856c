package ai.crate.ops.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code crate jmh}: the JMH benchmarks of the engine kernels; arguments go to JMH unchanged. */
@Command(name = "jmh", mixinStandardHelpOptions = true,
        description = "Run the JMH benchmarks (KernelBenchmarks, EngineBenchmark); JMH's arguments follow --, e.g."
                + " `bin/crate jmh -- EngineBenchmark -prof gc` or `bin/crate jmh -- -l`.")
final class JmhCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "JMH_ARG", description = "Arguments for JMH.")
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        org.openjdk.jmh.Main.main(arguments.toArray(new String[0]));
        return 0;
    }
}
