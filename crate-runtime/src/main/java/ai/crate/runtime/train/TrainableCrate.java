package ai.crate.runtime.train;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.model.WeightKeys;
import ai.crate.runtime.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * CRATE's parameters as mutable float32 arrays under the authors' state-dict keys, in module order (the order of
 * {@code model.parameters()} in PyTorch). Start from loaded weights ({@link #of}) or PyTorch's default initialisation
 * ({@link #initialised}); {@link #toTensors()} gives them back for saving.
 */
public final class TrainableCrate {
    /** Standard deviation of the cls token and position embedding at initialisation (as timm's ViTs). */
    static final double EMBEDDING_STD = 0.02;
    private final CrateConfig config;
    private final List<Parameter> parameters;
    private final Map<String, Integer> index = new HashMap<>();

    private TrainableCrate(CrateConfig config, List<Parameter> parameters) {
        this.config = config;
        this.parameters = List.copyOf(parameters);
        for (int i = 0; i < parameters.size(); i++) {
            index.put(parameters.get(i).name(), i);
        }
    }

    /** A copy of {@code weights} to train. */
    public static TrainableCrate of(CrateWeights weights) {
        List<Parameter> list = new ArrayList<>();
        for (Map.Entry<String, int[]> entry : WeightKeys.expected(weights.config()).entrySet()) {
            list.add(new Parameter(entry.getKey(), entry.getValue(), weights.get(entry.getKey()).toArray()));
        }
        return new TrainableCrate(weights.config(), list);
    }

    /**
     * PyTorch's defaults for the authors' modules: Linear weights and biases and the ISTA dictionary uniform in
     * ±1/√fan_in (Kaiming-uniform with a = √5), LayerNorms at weight 1 and bias 0, cls token and position embedding
     * standard normal. Deterministic in {@code seed}.
     */
    public static TrainableCrate initialised(CrateConfig config, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Parameter> list = new ArrayList<>();
        for (Map.Entry<String, int[]> entry : WeightKeys.expected(config).entrySet()) {
            String name = entry.getKey();
            int[] shape = entry.getValue();
            int size = 1;
            for (int s : shape) {
                size *= s;
            }
            float[] values = new float[size];
            if (name.equals(WeightKeys.CLS_TOKEN) || name.equals(WeightKeys.POS_EMBEDDING)) {
                for (int i = 0; i < size; i++) {
                    values[i] = (float) (EMBEDDING_STD * gaussian(random));
                }
            } else if (isNorm(name)) {
                if (name.endsWith("weight")) {
                    java.util.Arrays.fill(values, 1f);
                }
            } else {
                int fanIn = name.endsWith("bias") ? fanInOfBias(config, name) : shape[shape.length - 1];
                double bound = 1.0 / Math.sqrt(fanIn);
                for (int i = 0; i < size; i++) {
                    values[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                }
            }
            list.add(new Parameter(name, shape, values));
        }
        return new TrainableCrate(config, list);
    }

    private static boolean isNorm(String name) {
        return name.startsWith(WeightKeys.PATCH_NORM) || name.startsWith(WeightKeys.EMBED_NORM)
                || name.startsWith(WeightKeys.HEAD_NORM) || name.contains(".norm.");
    }

    private static int fanInOfBias(CrateConfig config, String name) {
        if (name.startsWith(WeightKeys.PATCH_LINEAR)) {
            return config.patchDim();
        }
        if (name.startsWith(WeightKeys.HEAD_LINEAR)) {
            return config.dim();
        }
        return config.innerDim();
    }

    private static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    public CrateConfig config() {
        return config;
    }

    /** All parameters, in module order. */
    public List<Parameter> parameters() {
        return parameters;
    }

    public Parameter parameter(String name) {
        Integer at = index.get(name);
        if (at == null) {
            throw new IllegalArgumentException("no parameter " + name);
        }
        return parameters.get(at);
    }

    int indexOf(String name) {
        Integer at = index.get(name);
        return at == null ? -1 : at;
    }

    float[] values(String name) {
        return parameter(name).values();
    }

    /** The parameters as tensors under their keys (sharing the arrays), for saving or building an engine. */
    public Map<String, Tensor> toTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            out.put(p.name(), Tensor.of(p.name(), p.shape(), p.values()));
        }
        return Collections.unmodifiableMap(out);
    }

    /** A deep copy (for evaluation snapshots and tests). */
    public TrainableCrate copy() {
        List<Parameter> list = new ArrayList<>();
        for (Parameter p : parameters) {
            Parameter copy = new Parameter(p.name(), p.shape(), p.values().clone());
            copy.trainable(p.trainable());
            list.add(copy);
        }
        return new TrainableCrate(config, list);
    }
}
