package ai.crate.runtime.bundle;

import ai.crate.runtime.CrateException;

/** A bundle directory that is incomplete, altered or inconsistent; the message names the file. */
public class BundleException extends CrateException {
    public BundleException(String message) {
        super(message);
    }
}
