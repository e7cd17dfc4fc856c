package ai.crate.flink;

import ai.crate.runtime.whitebox.DriftDetector;
import ai.crate.runtime.whitebox.WhiteBoxReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.metrics.MetricGroup;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Drift per camera: the white-box figures of each camera's sampled frames go through a {@link DriftDetector} against
 * the serving model's reference; when a camera starts or stops drifting, a JSON event for the {@code drift} topic
 * comes back. Exported as gauges {@code camera_driftDistance} and {@code camera_drifting}. A model without a
 * reference (a checkpoint, an old bundle) disables it; a new model resets every camera. Used by the stream thread.
 */
final class CameraDrift {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MetricGroup group;
    private final int window;
    private final double alpha;
    private final Map<String, Camera> cameras = new HashMap<>();
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
        }
        Optional<DriftDetector.Verdict> verdict = camera.detector.add(codingRates, sparsities);
        verdict.ifPresent(v -> camera.distance = v.distance());
        return verdict.filter(DriftDetector.Verdict::changed).map(v -> event(cameraId, v, timeMillis));
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
