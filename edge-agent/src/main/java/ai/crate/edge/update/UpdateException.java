package ai.crate.edge.update;

/** A model update that cannot be taken, with the reason (reported on {@code fleet-status}). */
public class UpdateException extends Exception {
    private static final long serialVersionUID = 1L;

    public UpdateException(String message) {
        super(message);
    }
}
