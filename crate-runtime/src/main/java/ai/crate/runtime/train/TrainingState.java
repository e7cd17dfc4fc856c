package ai.crate.runtime.train;

import ai.crate.runtime.checkpoint.CheckpointException;
import ai.crate.runtime.checkpoint.Checkpoints;
import ai.crate.runtime.checkpoint.SafetensorsWriter;
import ai.crate.runtime.checkpoint.StateDict;
import ai.crate.runtime.tensor.StoredTensor;
import ai.crate.runtime.tensor.Tensor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A resumable training checkpoint: {@code <base>.safetensors} with the parameters (authors' keys), the optimiser's
 * buffers (under {@code optimizer.}) and, in its metadata, the step and what the run must keep the same (optimiser,
 * batch, seed, data). One file, replaced atomically, so a crash leaves the previous checkpoint or the new one, never a
 * mix. {@code <base>.json} is a readable copy of the metadata, written after it; checkpoints from before the metadata
 * held the run are read from it.
 */
public final class TrainingState {
    private static final String OPTIMIZER = "optimizer.";
    private static final String FORMAT = "crate-train-state";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TrainingState() {
    }

    public static void save(Path base, TrainableCrate model, Optimizer optimizer, Map<String, String> run)
            throws IOException {
        List<Tensor> tensors = new ArrayList<>(model.toTensors().values());
        for (Map.Entry<String, float[]> buffer : optimizer.state().entrySet()) {
            tensors.add(Tensor.of(OPTIMIZER + buffer.getKey(), new int[] {buffer.getValue().length},
                    buffer.getValue()));
        }
        Map<String, String> info = new LinkedHashMap<>(run);
        info.put("step", Long.toString(optimizer.steps()));
        info.put("optimizer", optimizer.name());
        Map<String, String> metadata = new LinkedHashMap<>(info);
        metadata.put("format", FORMAT);
        SafetensorsWriter.write(tensorsFile(base), tensors, metadata);
        String json = MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(info);
        Path temp = infoFile(base).resolveSibling(infoFile(base).getFileName() + ".tmp");
        Files.writeString(temp, json, StandardCharsets.UTF_8);
        Files.move(temp, infoFile(base), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Restores a checkpoint into {@code model} and {@code optimizer} if one exists at {@code base}.
     *
     * @return the step it was taken at, or empty when there is none
     * @throws CheckpointException if it belongs to a different run (another optimiser, batch, seed or data) or model
     */
    public static Optional<Long> restore(Path base, TrainableCrate model, Optimizer optimizer, Map<String, String> run)
            throws IOException, CheckpointException {
        if (!Files.exists(tensorsFile(base))) {
            return Optional.empty();
        }
        Map<String, String> info = Checkpoints.safetensorsMetadata(tensorsFile(base));
        if (!info.containsKey("step")) {
            if (!Files.exists(infoFile(base))) {
                return Optional.empty();
            }
            info = parse(infoFile(base));
        }
        if (!optimizer.name().equals(info.get("optimizer"))) {
            throw new CheckpointException(tensorsFile(base) + ": the checkpoint was trained with "
                    + info.get("optimizer") + ", this run uses " + optimizer.name() + "; remove it to start afresh");
        }
        for (Map.Entry<String, String> entry : run.entrySet()) {
            if (!entry.getValue().equals(info.get(entry.getKey()))) {
                throw new CheckpointException(tensorsFile(base) + ": the checkpoint has " + entry.getKey() + " "
                        + info.get(entry.getKey()) + ", this run " + entry.getValue() + "; remove it to start afresh");
            }
        }
        StateDict saved = Checkpoints.read(tensorsFile(base));
        for (Parameter p : model.parameters()) {
            StoredTensor stored = saved.get(p.name());
            if (stored == null || stored.numel() != p.size()) {
                throw new CheckpointException(tensorsFile(base) + ": " + p.name() + " is missing or has another shape;"
                        + " the checkpoint is of another model");
            }
            System.arraycopy(stored.toFloat32().toArray(), 0, p.values(), 0, p.size());
        }
        Map<String, float[]> buffers = new LinkedHashMap<>();
        for (Map.Entry<String, StoredTensor> entry : saved.tensors().entrySet()) {
            if (entry.getKey().startsWith(OPTIMIZER)) {
                buffers.put(entry.getKey().substring(OPTIMIZER.length()), entry.getValue().toFloat32().toArray());
            }
        }
        long step = Long.parseLong(info.get("step"));
        optimizer.restore(buffers, step);
        return Optional.of(step);
    }

    static Path tensorsFile(Path base) {
        return base.resolveSibling(base.getFileName() + ".safetensors");
    }

    static Path infoFile(Path base) {
        return base.resolveSibling(base.getFileName() + ".json");
    }

    private static Map<String, String> parse(Path file) throws IOException, CheckpointException {
        Map<String, String> out;
        try {
            out = MAPPER.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, String>>() { });
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file + ": not a training state (" + e.getOriginalMessage() + ")", e);
        }
        if (!out.containsKey("step") || !out.containsKey("optimizer")) {
            throw new CheckpointException(file + ": training state is missing its step or optimizer");
        }
        return out;
    }
}
