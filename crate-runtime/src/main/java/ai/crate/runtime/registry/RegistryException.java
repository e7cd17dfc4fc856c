package ai.crate.runtime.registry;

import ai.crate.runtime.CrateException;

/** A registry operation that cannot be done; the message names the model, version or file and why. */
public final class RegistryException extends CrateException {
    private final boolean notFound;

    public RegistryException(String message) {
        this(message, false);
    }

    private RegistryException(String message, boolean notFound) {
        super(message);
        this.notFound = notFound;
    }

    /** The model, version or file asked for is not in the registry. */
    static RegistryException notFound(String message) {
        return new RegistryException(message, true);
    }

    public boolean isNotFound() {
        return notFound;
    }
}
