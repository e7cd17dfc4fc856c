package ai.crate.calibration;

/**
 * What INT8 does to one CRATE layer on the verification images: the signal-to-quantization-noise ratio of its output
 * {@code z_next} (FP32 as the signal, in dB), and the layer's white-box measurements, compression (coding rate of
 * {@code w}) and sparsity (zeros of {@code z_next}), in FP32 and in INT8.
 */
public record LayerComparison(int layer, double sqnrDb, double codingRateFp32, double codingRateInt8,
        double sparsityFp32, double sparsityInt8) {
}
