package ai.crate.flink;

import org.apache.flink.metrics.MetricGroup;

import java.util.HashMap;
import java.util.Map;

/**
 * White-box telemetry per camera: every {@code every}-th frame of each camera is measured (each layer's coding rate
 * of its MSSA projections and the sparsity of its ISTA output), and each figure is exported as a gauge holding an
 * exponential moving average, under metric groups {@code camera=<id>}, {@code layer=<l>}. With
 * Flink's Prometheus reporter they read {@code flink_taskmanager_job_task_operator_camera_layer_codingRate{camera=...,
 * layer=...}}. Used by the stream thread only.
 */
final class WhiteBoxTelemetry {
    /** Weight of the newest frame in the moving averages. */
    static final double SMOOTHING = 0.2;

    private final MetricGroup group;
    private final int every;
    private final Map<String, Camera> cameras = new HashMap<>();

    private final class Camera {
        final double[] codingRate;
        final double[] sparsity;
        long frames;
        boolean measuredOnce;

        Camera(String id, int depth) {
            codingRate = new double[depth];
            sparsity = new double[depth];
            MetricGroup cameraGroup = group.addGroup("camera", id);
            for (int l = 0; l < depth; l++) {
                int layer = l;
                MetricGroup layerGroup = cameraGroup.addGroup("layer", Integer.toString(l));
                layerGroup.gauge("codingRate", () -> codingRate[layer]);
                layerGroup.gauge("sparsity", () -> sparsity[layer]);
            }
        }
    }

    /**
     * @param every measure one frame in {@code every} per camera; 0 turns telemetry off
     */
    WhiteBoxTelemetry(MetricGroup group, int every) {
        this.group = group;
        this.every = every;
    }

    /** Counts a frame of {@code camera} and says whether to measure it. */
    boolean sample(String camera, int depth) {
        if (every == 0) {
            return false;
        }
        Camera state = cameras.computeIfAbsent(camera, id -> new Camera(id, depth));
        return state.frames++ % every == 0;
    }

    /** Folds one measured frame into the camera's averages. */
    void record(String camera, double[] codingRates, double[] sparsities) {
        Camera state = cameras.get(camera);
        int depth = Math.min(state.codingRate.length, codingRates.length);
        for (int l = 0; l < depth; l++) {
            state.codingRate[l] = state.measuredOnce
                    ? state.codingRate[l] + SMOOTHING * (codingRates[l] - state.codingRate[l]) : codingRates[l];
            state.sparsity[l] = state.measuredOnce
                    ? state.sparsity[l] + SMOOTHING * (sparsities[l] - state.sparsity[l]) : sparsities[l];
        }
        state.measuredOnce = true;
    }
}
