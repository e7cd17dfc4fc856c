package ai.crate.calibration;

import java.util.List;
import java.util.Set;

/**
 * The INT8 model measured against FP32 on held-out images: top-1 agreement of the Java INT8 simulation and, when it
 * ran, of ONNX Runtime on the Q/DQ graph; how often the two INT8 paths agree with each other; the logits' SQNR; and
 * every layer's {@link LayerComparison}. {@code floatLayers} are the layers the model keeps in float.
 */
public record VerificationResult(int images, double agreement, double onnxRuntimeAgreement,
        double int8PathsAgreement, double logitsSqnrDb, List<LayerComparison> layers, Set<Integer> floatLayers) {

    /** The lower of the two agreements that were measured. */
    public double worstAgreement() {
        return Double.isNaN(onnxRuntimeAgreement) ? agreement : Math.min(agreement, onnxRuntimeAgreement);
    }
}
