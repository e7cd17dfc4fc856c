package ai.crate.ops.cli;

import ai.crate.runtime.engine.EngineProvider;
import ai.crate.runtime.engine.Engines;
import picocli.CommandLine.Command;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code crate engines}: every engine, whether it can run here and why, and which one {@code auto} picks. */
@Command(name = "engines", mixinStandardHelpOptions = true,
        description = "List the engines, best first, with whether each can run here and why.")
final class EnginesCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        List<EngineProvider> providers = Engines.providers();
        String chosen = null;
        for (EngineProvider provider : providers) {
            EngineProvider.Availability availability = provider.probe();
            if (availability.available() && chosen == null) {
                chosen = provider.name();
            }
            System.out.printf("%-12s %-12s %s%n", provider.name(),
                    availability.available() ? "available" : "unavailable", availability.reason());
        }
        System.out.println("auto picks: " + (chosen == null ? "nothing (no engine can run here)" : chosen));
        return 0;
    }
}
