package ai.crate.runtime.model;

import ai.crate.runtime.checkpoint.StateDict;
import ai.crate.runtime.tensor.StoredTensor;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a CRATE state dict's shapes determine: {@code dim}, {@code depth}, {@code num_classes}, {@code heads·dim_head},
 * {@code channels·p1·p2}, the token count and whether attention has an output projection. They cannot determine
 * {@code heads} vs {@code dim_head}, {@code patch_size}, {@code image_size}, {@code channels}, {@code pool},
 * {@code ista} or {@code lambd}. A field is null when the key it comes from is absent.
 */
public record WeightShapes(Integer dim, Integer depth, Integer numClasses, Integer innerDim, Integer patchDim,
        Integer tokens, boolean projectOut) {

    private static final Pattern LAYER = Pattern.compile("^transformer\\.layers\\.(\\d{1,6})\\.");

    public static WeightShapes of(StateDict weights) {
        Integer depth = null;
        for (String key : weights.tensors().keySet()) {
            Matcher m = LAYER.matcher(key);
            if (m.find()) {
                int index = Integer.parseInt(m.group(1)) + 1;
                depth = depth == null ? index : Math.max(depth, index);
            }
        }
        return new WeightShapes(
                dimension(weights, WeightKeys.CLS_TOKEN, 3, 2),
                depth,
                dimension(weights, WeightKeys.HEAD_LINEAR + "weight", 2, 0),
                dimension(weights, WeightKeys.qkv(0), 2, 0),
                dimension(weights, WeightKeys.PATCH_NORM + "weight", 1, 0),
                dimension(weights, WeightKeys.POS_EMBEDDING, 3, 1),
                weights.contains(WeightKeys.toOut(0) + "weight"));
    }

    /** One line for messages: what the weights say and what they leave open. */
    public String describe() {
        List<String> known = new ArrayList<>();
        add(known, "dim", dim);
        add(known, "depth", depth);
        add(known, "num_classes", numClasses);
        add(known, "heads*dim_head", innerDim);
        add(known, "channels*patch_h*patch_w", patchDim);
        if (tokens != null) {
            known.add("patches=" + (tokens - 1));
        }
        return "the weights give " + String.join(", ", known) + (projectOut ? "" : ", no to_out (heads=1)")
                + "; they cannot give heads vs dim_head, patch_size, image_size, channels, pool or ista";
    }

    private static void add(List<String> known, String key, Integer value) {
        if (value != null) {
            known.add(key + "=" + value);
        }
    }

    private static Integer dimension(StateDict weights, String key, int rank, int axis) {
        StoredTensor tensor = weights.get(key);
        if (tensor == null || tensor.shape().length != rank) {
            return null;
        }
        return tensor.shape()[axis];
    }
}
