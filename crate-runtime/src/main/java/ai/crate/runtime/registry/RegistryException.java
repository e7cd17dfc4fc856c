package ai.crate.runtime.registry;

import ai.crate.runtime.CrateException;

/** A registry operation that cannot be done; the message names the model, version or file and why. */
public final class RegistryException extends CrateException {
    public RegistryException(String message) {
        super(message);
    }
}
