package ai.crate.patchify;

import ai.crate.runtime.CrateException;

/** A frame that cannot be decoded or prepared: corrupt bytes, a size that does not match its format, and the like. */
public class PatchifyException extends CrateException {
    public PatchifyException(String message) {
        super(message);
    }

    public PatchifyException(String message, Throwable cause) {
        super(message, cause);
    }
}
