package ai.crate.flink;

import ai.crate.runtime.whitebox.DriftDetector;
import ai.crate.runtime.whitebox.WhiteBoxReference;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.metrics.MetricGroup;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Drift per camera: the white-box figures of each camera's sampled frames go through a {@link DriftDetector} against
 * the serving model's reference; when a camera starts or stops drifting, a JSON event for the {@code drift} topic
 * comes back. Exported as gauges {@code camera_driftDistance} and {@code camera_drifting}. A model without a
 * reference (a checkpoint, an old bundle) disables it; a new model resets every camera. Which cameras are drifting
 * goes into checkpoints ({@link #drifting}) and comes back with {@link #restore}, so that a camera drifting at a restart
 * still gets its {@code drift-ended}. Used by the stream thread.
 */
final class CameraDrift {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MetricGroup group;
    private final int window;
    private final double alpha;
    private final Map<String, Camera> cameras = new HashMap<>();
    /** Checkpointed entries of cameras drifting at the restore, not seen since. */
    private final Set<String> restored = new HashSet<>();
    private WhiteBoxReference reference;
    private String modelName;
    private String modelVersion;

    private static final class Camera {
        DriftDetector detector;
        double distance;
    }

    CameraDrift(MetricGroup group, int window, double alpha) {
        this.group = group;
        this.window = window;
        this.alpha = alpha;
    }

    /** Starts over against {@code model}'s reference (none: drift detection is off until a model brings one). */
    void useModel(ServingModel model) {
        reference = model.model().whiteboxReference();
        modelName = model.name();
        modelVersion = model.version();
        restored.removeIf(entry -> !entry.equals(entry(cameraOf(entry))));
        cameras.values().forEach(c -> {
            c.detector = null;
            c.distance = 0;
        });
    }

    /** Folds in one measured frame; returns the event when the camera's drift state changed. */
    Optional<String> observe(String cameraId, double[] codingRates, double[] sparsities, long timeMillis) {
        if (reference == null || reference.layers().size() != codingRates.length) {
            return Optional.empty();
        }
        Camera camera = cameras.computeIfAbsent(cameraId, id -> {
            Camera created = new Camera();
            MetricGroup g = group.addGroup("camera", id);
            g.gauge("driftDistance", () -> created.distance);
            g.gauge("drifting", () -> created.detector != null && created.detector.drifting() ? 1 : 0);
            return created;
        });
        if (camera.detector == null) {
            camera.detector = new DriftDetector(reference, window, alpha);
            if (restored.remove(entry(cameraId))) {
                camera.detector.resumeDrifting();
            }
        }
        Optional<DriftDetector.Verdict> verdict = camera.detector.add(codingRates, sparsities);
        verdict.ifPresent(v -> camera.distance = v.distance());
        return verdict.filter(DriftDetector.Verdict::changed).map(v -> event(cameraId, v, timeMillis));
    }

    /**
     * The checkpoint's entries: each camera drifting now, and each restored one not seen since whose key
     * {@code owned} accepts (the others belong to other subtasks).
     */
    List<String> drifting(Predicate<String> owned) {
        List<String> entries = new ArrayList<>();
        cameras.forEach((id, camera) -> {
            if (camera.detector != null && camera.detector.drifting()) {
                entries.add(entry(id));
            }
        });
        for (String entry : restored) {
            if (owned.test(cameraOf(entry))) {
                entries.add(entry);
            }
        }
        return entries;
    }

    /**
     * Takes a checkpoint's entries: a restored camera that was drifting against the model now serving starts its new
     * detector as drifting. Entries for another model or version are dropped when that model's detectors would be.
     */
    void restore(Iterable<String> entries) {
        entries.forEach(restored::add);
    }

    /** One checkpoint entry: the model, its version and the camera, as JSON. */
    private String entry(String cameraId) {
        ObjectNode root = JSON.createObjectNode();
        root.put("model", modelName);
        root.put("version", modelVersion);
        root.put("camera_id", cameraId);
        return root.toString();
    }

    private static String cameraOf(String entry) {
        try {
            return JSON.readTree(entry).path("camera_id").asText();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a checkpointed drift entry is not JSON: " + entry, e);
        }
    }

    private String event(String cameraId, DriftDetector.Verdict verdict, long timeMillis) {
        ObjectNode root = JSON.createObjectNode();
        root.put("event", verdict.drifting() ? "drift-started" : "drift-ended");
        root.put("camera_id", cameraId);
        ObjectNode model = root.putObject("model");
        model.put("name", modelName);
        model.put("version", modelVersion);
        root.put("distance", verdict.distance());
        root.put("threshold", verdict.threshold());
        root.put("layer", verdict.layer());
        root.put("figure", verdict.figure());
        root.put("frames_measured", verdict.frames());
        root.put("window", window);
        root.put("time_ms", timeMillis);
        return root.toString();
    }
}
