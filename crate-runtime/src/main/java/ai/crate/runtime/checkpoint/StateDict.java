package ai.crate.runtime.checkpoint;

import ai.crate.runtime.tensor.StoredTensor;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors of a checkpoint by key (prefixes such as {@code module.} already removed), with the file they came
 * from. Tensors may be read-only views of memory-mapped file regions; the file channel is closed once mapped, and
 * the garbage collector releases a mapping when no tensor refers to it any more.
 */
public final class StateDict {
    private final Path source;
    private final String layout;
    private final Map<String, StoredTensor> tensors;

    public StateDict(Path source, String layout, Map<String, StoredTensor> tensors) {
        this.source = source;
        this.layout = layout;
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    public Path source() {
        return source;
    }

    /** How the state dict was found in the file, e.g. {@code "state_dict (module. prefix)"} or {@code "bare"}. */
    public String layout() {
        return layout;
    }

    public Map<String, StoredTensor> tensors() {
        return tensors;
    }

    public StoredTensor get(String key) {
        return tensors.get(key);
    }

    public boolean contains(String key) {
        return tensors.containsKey(key);
    }
}
