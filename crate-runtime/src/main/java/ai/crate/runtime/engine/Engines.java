package ai.crate.runtime.engine;

import ai.crate.runtime.model.CrateWeights;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Finds engines through {@link ServiceLoader} and creates one by name, or the best available for {@code auto}.
 * An unknown name fails with the list of known ones; an unavailable one with the reason its probe gave.
 */
public final class Engines {
    public static final String AUTO = "auto";
    private static final Logger LOG = LoggerFactory.getLogger(Engines.class);

    private Engines() {
    }

    /** All registered providers, best first. */
    public static List<EngineProvider> providers() {
        return ServiceLoader.load(EngineProvider.class).stream().map(ServiceLoader.Provider::get)
                .sorted(Comparator.comparingInt(EngineProvider::priority).reversed())
                .collect(Collectors.toList());
    }

    public static CrateEngine create(String name, CrateWeights weights, EngineOptions options) {
        List<EngineProvider> providers = providers();
        if (AUTO.equals(name)) {
            for (EngineProvider provider : providers) {
                EngineProvider.Availability availability = provider.probe();
                if (availability.available()) {
                    LOG.info("engine auto: chose {} ({} threads)", provider.name(), options.threads());
                    return provider.create(weights, options);
                }
                LOG.info("engine auto: skipped {}: {}", provider.name(), availability.reason());
            }
            throw new IllegalStateException("no engine is available (known: " + names(providers) + ")");
        }
        for (EngineProvider provider : providers) {
            if (provider.name().equals(name)) {
                EngineProvider.Availability availability = provider.probe();
                if (!availability.available()) {
                    throw new IllegalArgumentException("engine " + name + " is not available here: "
                            + availability.reason());
                }
                return provider.create(weights, options);
            }
        }
        throw new IllegalArgumentException("unknown engine '" + name + "': known engines are " + AUTO + ", "
                + names(providers));
    }

    private static String names(List<EngineProvider> providers) {
        return providers.stream().map(EngineProvider::name).collect(Collectors.joining(", "));
    }
}
