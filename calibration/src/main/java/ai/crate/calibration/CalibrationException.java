package ai.crate.calibration;

import ai.crate.runtime.CrateException;

/** A calibration input or output that cannot be used; the message names it and says what is wrong. */
public final class CalibrationException extends CrateException {
    public CalibrationException(String message) {
        super(message);
    }
}
