package ai.crate.runtime.checkpoint;

import ai.crate.runtime.CrateException;

/** A checkpoint file that cannot be read or does not fit the model; the message names the file. */
public class CheckpointException extends CrateException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
