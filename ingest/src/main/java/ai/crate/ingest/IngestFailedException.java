package ai.crate.ingest;

/** An ingest run that stopped on an error, with what it had done until then. */
public class IngestFailedException extends IngestException {
    private final transient IngestSummary summary;

    public IngestFailedException(String message, Throwable cause, IngestSummary summary) {
        super(message, cause);
        this.summary = summary;
    }

    public IngestSummary summary() {
        return summary;
    }
}
