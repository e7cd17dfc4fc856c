package ai.crate.runtime.checkpoint;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Finds the model's tensors in what a checkpoint holds: a training checkpoint with a {@code state_dict} entry
 * (keys prefixed {@code module.} by DataParallel), a dict with a {@code model} entry, or a bare state dict.
 */
final class StateDictLayout {
    private static final String MODULE_PREFIX = "module.";

    /** The tensors found, keyed without prefix, and a description of where they were. */
    record Found<T>(String layout, Map<String, T> tensors) {
    }

    private StateDictLayout() {
    }

    static <T> Found<T> unwrap(Path file, Object root, Class<T> tensorType) throws CheckpointException {
        if (!(root instanceof Map)) {
            throw new CheckpointException(file + ": holds a " + (root == null ? "None" : root.getClass().getSimpleName())
                    + ", not a dict of tensors (save model.state_dict(), or a dict with it under 'state_dict')");
        }
        Map<?, ?> map = (Map<?, ?>) root;
        String layout;
        Map<?, ?> stateDict;
        if (map.get("state_dict") instanceof Map) {
            layout = "state_dict";
            stateDict = (Map<?, ?>) map.get("state_dict");
        } else if (map.get("model") instanceof Map) {
            layout = "model";
            stateDict = (Map<?, ?>) map.get("model");
        } else {
            layout = "bare";
            stateDict = map;
        }
        Map<String, T> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : stateDict.entrySet()) {
            if (tensorType.isInstance(entry.getValue())) {
                tensors.put(String.valueOf(entry.getKey()), tensorType.cast(entry.getValue()));
            }
        }
        if (tensors.isEmpty()) {
            throw new CheckpointException(file + ": no tensors found (looked under 'state_dict', 'model' and at the"
                    + " top level; keys there: " + map.keySet() + ")");
        }
        return stripModulePrefix(layout, tensors);
    }

    /** Removes the {@code module.} prefix that DataParallel and DistributedDataParallel add to every key. */
    static <T> Found<T> stripModulePrefix(String layout, Map<String, T> tensors) {
        Predicate<String> prefixed = key -> key.startsWith(MODULE_PREFIX);
        if (!tensors.keySet().stream().allMatch(prefixed)) {
            return new Found<>(layout, tensors);
        }
        Map<String, T> stripped = new LinkedHashMap<>();
        tensors.forEach((key, value) -> stripped.put(key.substring(MODULE_PREFIX.length()), value));
        return new Found<>(layout + " (module. prefix)", stripped);
    }
}
