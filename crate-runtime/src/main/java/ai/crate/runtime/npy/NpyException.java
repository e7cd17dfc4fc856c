package ai.crate.runtime.npy;

import ai.crate.runtime.CrateException;

/** An {@code .npy} file that is malformed or not of the type or rank the caller needs; the message names the file. */
public class NpyException extends CrateException {
    public NpyException(String message) {
        super(message);
    }
}
