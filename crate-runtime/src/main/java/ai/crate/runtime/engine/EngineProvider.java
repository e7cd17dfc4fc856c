package ai.crate.runtime.engine;

import ai.crate.runtime.model.CrateWeights;

/**
 * The service interface through which engines register ({@code META-INF/services/ai.crate.runtime.engine.EngineProvider}).
 * {@link #probe()} must never throw: it reports why the engine cannot run here (missing native library, no GPU).
 */
public interface EngineProvider {

    /** Unique lower-case name, used with {@code --engine}. */
    String name();

    /** Higher runs first when the engine is chosen automatically. */
    int priority();

    /** Whether the engine can run on this machine, and if not, why and what to install. */
    Availability probe();

    CrateEngine create(CrateWeights weights, EngineOptions options);

    /** The result of a probe: available, or not with a reason a user can act on. */
    record Availability(boolean available, String reason) {
        public static Availability yes(String detail) {
            return new Availability(true, detail);
        }

        public static Availability no(String reason) {
            return new Availability(false, reason);
        }
    }
}
