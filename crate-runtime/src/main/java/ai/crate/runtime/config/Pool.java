package ai.crate.runtime.config;

import java.util.Locale;
import java.util.Optional;

/** How the final tokens become one vector: the cls token, or the mean over all tokens (cls included). */
public enum Pool {
    CLS,
    MEAN;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Pool> fromKey(String key) {
        for (Pool pool : values()) {
            if (pool.key().equals(key)) {
                return Optional.of(pool);
            }
        }
        return Optional.empty();
    }
}
