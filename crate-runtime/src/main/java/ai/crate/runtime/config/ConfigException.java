package ai.crate.runtime.config;

import ai.crate.runtime.CrateException;

/** A configuration that cannot describe a CRATE model; the message names the key and the fix. */
public class ConfigException extends CrateException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
