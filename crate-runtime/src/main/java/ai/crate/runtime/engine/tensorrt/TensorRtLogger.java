package ai.crate.runtime.engine.tensorrt;

import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards TensorRT's log to SLF4J (errors as errors, warnings as warnings, the rest at debug). TensorRT keeps the
 * first logger it is given for the whole process, so there is exactly one, never freed: {@link #instance()}.
 */
final class TensorRtLogger extends ILogger {
    private static final Logger LOG = LoggerFactory.getLogger("tensorrt");

    private static final class Holder {
        private static final TensorRtLogger INSTANCE = new TensorRtLogger();
    }

    private TensorRtLogger() {
    }

    static TensorRtLogger instance() {
        return Holder.INSTANCE;
    }

    @Override
    public void log(Severity severity, String message) {
        if (severity == Severity.kINTERNAL_ERROR || severity == Severity.kERROR) {
            LOG.error("{}", message);
        } else if (severity == Severity.kWARNING) {
            LOG.warn("{}", message);
        } else {
            LOG.debug("{}", message);
        }
    }
}
