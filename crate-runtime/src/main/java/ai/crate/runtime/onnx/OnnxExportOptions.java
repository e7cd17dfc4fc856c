package ai.crate.runtime.onnx;

import ai.crate.runtime.quant.QuantizationTable;

import java.util.List;

/**
 * What to export: the graph form, FP16 weights (stored as float16 and cast to float32 in the graph, halving the file),
 * the layers whose sparse codes ({@code z_next}) become extra outputs {@code codes_<layer>} (sorted, each once), whether
 * every layer's {@code w}, {@code z_half} and {@code z_next} become outputs (for engines that hand layers to observers),
 * and, for an INT8 graph, the calibrated {@code quantization} (null for float; fused form only).
 */
public record OnnxExportOptions(GraphForm form, boolean fp16Weights, List<Integer> codesLayers,
        boolean allLayerOutputs, QuantizationTable quantization) {

    public OnnxExportOptions {
        codesLayers = List.copyOf(new java.util.TreeSet<>(codesLayers));
        if (quantization != null && form != GraphForm.FUSED) {
            throw new IllegalArgumentException("INT8 export needs the fused graph form (its products are the ones"
                    + " calibrated), not " + form.key());
        }
        if (quantization != null && fp16Weights) {
            throw new IllegalArgumentException("INT8 export stores quantized weights; FP16 weights do not apply");
        }
    }

    public OnnxExportOptions(GraphForm form, boolean fp16Weights, List<Integer> codesLayers, boolean allLayerOutputs) {
        this(form, fp16Weights, codesLayers, allLayerOutputs, null);
    }

    public static OnnxExportOptions of(GraphForm form) {
        return new OnnxExportOptions(form, false, List.of(), false);
    }

    /** The fused graph with Q/DQ nodes from {@code table}. */
    public static OnnxExportOptions int8(QuantizationTable table) {
        return new OnnxExportOptions(GraphForm.FUSED, false, List.of(), false, table);
    }

    public OnnxExportOptions withAllLayerOutputs() {
        return new OnnxExportOptions(form, fp16Weights, codesLayers, true, quantization);
    }
}
