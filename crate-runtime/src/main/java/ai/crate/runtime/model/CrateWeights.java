package ai.crate.runtime.model;

import ai.crate.runtime.checkpoint.CheckpointException;
import ai.crate.runtime.checkpoint.StateDict;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.tensor.Shapes;
import ai.crate.runtime.tensor.StoredTensor;
import ai.crate.runtime.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float32 weights of one CRATE model, checked key by key and shape by shape against its config. Tensors keep the
 * authors' layouts ({@code Linear} weights are [out, in]) and may view memory-mapped files.
 */
public final class CrateWeights {
    private static final int LISTED = 6;

    /** The weights of one layer; {@code toOutWeight} and {@code toOutBias} are null when there is no projection. */
    public record Layer(Tensor norm1Weight, Tensor norm1Bias, Tensor qkv, Tensor toOutWeight, Tensor toOutBias,
            Tensor norm2Weight, Tensor norm2Bias, Tensor ista) {
    }

    private final CrateConfig config;
    private final Map<String, Tensor> tensors;
    private final List<Layer> layers;

    private CrateWeights(CrateConfig config, Map<String, Tensor> tensors) {
        this.config = config;
        this.tensors = tensors;
        List<Layer> list = new ArrayList<>();
        for (int l = 0; l < config.depth(); l++) {
            list.add(new Layer(tensors.get(WeightKeys.norm1(l) + "weight"), tensors.get(WeightKeys.norm1(l) + "bias"),
                    tensors.get(WeightKeys.qkv(l)), tensors.get(WeightKeys.toOut(l) + "weight"),
                    tensors.get(WeightKeys.toOut(l) + "bias"), tensors.get(WeightKeys.norm2(l) + "weight"),
                    tensors.get(WeightKeys.norm2(l) + "bias"), tensors.get(WeightKeys.ista(l))));
        }
        this.layers = List.copyOf(list);
    }

    /**
     * Checks a checkpoint's state dict against the config and converts it to float32 (zero-copy for F32).
     *
     * @throws CheckpointException listing missing, unexpected, mis-shaped and integer tensors, naming the file
     */
    public static CrateWeights from(CrateConfig config, StateDict stateDict) throws CheckpointException {
        Map<String, int[]> expected = WeightKeys.expected(config);
        List<String> missing = new ArrayList<>();
        List<String> misShaped = new ArrayList<>();
        List<String> integer = new ArrayList<>();
        for (Map.Entry<String, int[]> entry : expected.entrySet()) {
            StoredTensor tensor = stateDict.get(entry.getKey());
            if (tensor == null) {
                missing.add(entry.getKey());
            } else if (!Arrays.equals(tensor.shape(), entry.getValue())) {
                misShaped.add(entry.getKey() + " " + Shapes.format(tensor.shape()) + " (expected "
                        + Shapes.format(entry.getValue()) + ")");
            } else if (!tensor.dtype().isFloatingPoint()) {
                integer.add(entry.getKey() + " (" + tensor.dtype() + ")");
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String key : stateDict.tensors().keySet()) {
            if (!expected.containsKey(key)) {
                unexpected.add(key);
            }
        }
        List<String> problems = new ArrayList<>();
        describe(problems, "missing", missing);
        describe(problems, "unexpected", unexpected);
        describe(problems, "mis-shaped", misShaped);
        describe(problems, "integer-typed (CRATE weights must be floating point)", integer);
        if (!problems.isEmpty()) {
            throw new CheckpointException(stateDict.source() + ": weights do not match the config ("
                    + config.depth() + " layers, dim " + config.dim() + "): " + String.join("; ", problems));
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (String key : expected.keySet()) {
            try {
                tensors.put(key, stateDict.get(key).toFloat32());
            } catch (RuntimeException e) {
                throw new CheckpointException(stateDict.source() + ": " + e.getMessage(), e);
            }
        }
        return new CrateWeights(config, tensors);
    }

    /** Weights from float32 tensors already in memory (trained or generated), checked like a checkpoint. */
    public static CrateWeights of(CrateConfig config, Map<String, Tensor> tensors, Path origin)
            throws CheckpointException {
        Map<String, int[]> expected = WeightKeys.expected(config);
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, int[]> entry : expected.entrySet()) {
            Tensor tensor = tensors.get(entry.getKey());
            if (tensor == null) {
                problems.add("missing " + entry.getKey());
            } else if (!tensor.hasShape(entry.getValue())) {
                problems.add(entry.getKey() + " is " + Shapes.format(tensor.shape()) + ", expected "
                        + Shapes.format(entry.getValue()));
            }
        }
        for (String key : tensors.keySet()) {
            if (!expected.containsKey(key)) {
                problems.add("unexpected " + key);
            }
        }
        if (!problems.isEmpty()) {
            throw new CheckpointException(origin + ": weights do not match the config: " + String.join("; ", problems));
        }
        Map<String, Tensor> ordered = new LinkedHashMap<>();
        expected.keySet().forEach(key -> ordered.put(key, tensors.get(key)));
        return new CrateWeights(config, ordered);
    }

    public CrateConfig config() {
        return config;
    }

    /** All tensors by state-dict key, in module order. */
    public Map<String, Tensor> tensors() {
        return java.util.Collections.unmodifiableMap(tensors);
    }

    public Tensor get(String key) {
        return tensors.get(key);
    }

    public List<Layer> layers() {
        return layers;
    }

    public Tensor clsToken() {
        return tensors.get(WeightKeys.CLS_TOKEN);
    }

    public Tensor posEmbedding() {
        return tensors.get(WeightKeys.POS_EMBEDDING);
    }

    private static void describe(List<String> problems, String what, List<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        List<String> shown = keys.subList(0, Math.min(LISTED, keys.size()));
        String more = keys.size() > LISTED ? ", and " + (keys.size() - LISTED) + " more" : "";
        problems.add(keys.size() + " " + what + ": " + String.join(", ", shown) + more);
    }
}
