package ai.crate.runtime;

/**
 * A problem with something the caller handed us (a config, a checkpoint, an array file) that the caller can fix.
 * Messages are one line and name the input and what is wrong with it; bugs and native faults stay unchecked.
 */
public class CrateException extends Exception {
    public CrateException(String message) {
        super(message);
    }

    public CrateException(String message, Throwable cause) {
        super(message, cause);
    }
}
