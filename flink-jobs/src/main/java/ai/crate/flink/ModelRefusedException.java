package ai.crate.flink;

/** A model version that cannot be served; the message says why (for the {@code fleet-status} event). */
public final class ModelRefusedException extends Exception {
    private static final long serialVersionUID = 1L;

    public ModelRefusedException(String reason) {
        super(reason);
    }
}
