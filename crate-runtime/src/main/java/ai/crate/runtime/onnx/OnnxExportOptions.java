package ai.crate.runtime.onnx;

import java.util.List;

/**
 * What to export: the graph form, FP16 weights (stored as float16 and cast to float32 in the graph, halving the file),
 * the layers whose sparse codes ({@code z_next}) become extra outputs {@code codes_<layer>} (sorted, each once), and whether every layer's
 * {@code w}, {@code z_half} and {@code z_next} become outputs (for engines that hand layers to observers).
 */
public record OnnxExportOptions(GraphForm form, boolean fp16Weights, List<Integer> codesLayers,
        boolean allLayerOutputs) {

    public OnnxExportOptions {
        codesLayers = List.copyOf(new java.util.TreeSet<>(codesLayers));
    }

    public static OnnxExportOptions of(GraphForm form) {
        return new OnnxExportOptions(form, false, List.of(), false);
    }

    public OnnxExportOptions withAllLayerOutputs() {
        return new OnnxExportOptions(form, fp16Weights, codesLayers, true);
    }
}
