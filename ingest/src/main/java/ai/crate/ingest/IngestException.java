package ai.crate.ingest;

import ai.crate.runtime.CrateException;

/** Ingest cannot go on: a source that cannot be opened or is damaged, a record that cannot be published, bad state. */
public class IngestException extends CrateException {
    public IngestException(String message) {
        super(message);
    }

    public IngestException(String message, Throwable cause) {
        super(message, cause);
    }
}
