package ai.crate.runtime.registry;

import java.util.Locale;

/** Where a version stands: published for evaluation, serving, or withdrawn. */
public enum VersionState {
    CANDIDATE, PRODUCTION, RETIRED;

    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    static VersionState parse(String text) throws RegistryException {
        for (VersionState state : values()) {
            if (state.json().equals(text)) {
                return state;
            }
        }
        throw new RegistryException("unknown version state '" + text + "' (candidate, production or retired)");
    }
}
