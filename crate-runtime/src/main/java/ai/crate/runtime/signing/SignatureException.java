package ai.crate.runtime.signing;

import ai.crate.runtime.CrateException;

/** A signature, key or signed bundle that cannot be trusted; the message names the file and the reason. */
public final class SignatureException extends CrateException {
    public SignatureException(String message) {
        super(message);
    }
}
