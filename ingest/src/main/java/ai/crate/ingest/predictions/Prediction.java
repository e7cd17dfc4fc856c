package ai.crate.ingest.predictions;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * One record of the {@code predictions} topic, as {@code InferenceJob} and the edge agent both write it (schema in
 * {@code docs/schemas.md}): the frame, the model version, the top classes with their labels, the ground truth when
 * the frame carried one, where the time went, and what ran it. Build it and call {@link #toJson()}.
 *
 * @param labels      the model's class names, indexed by class
 * @param groundTruth the frame's label, or null
 * @param source      who made it when not the Flink job (an edge device id), or null
 */
public record Prediction(String cameraId, long seq, long captureMicros, long predictedMillis, String modelName,
                         String modelVersion, List<TopK.Entry> topK, List<String> labels, String groundTruth,
                         double queueMillis, double patchifyMillis, double inferenceMillis, int batchSize,
                         String engine, String source) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("camera_id", cameraId);
        root.put("seq", seq);
        root.put("capture_time_us", captureMicros);
        root.put("predicted_time_us", predictedMillis * 1000);
        ObjectNode m = root.putObject("model");
        m.put("name", modelName);
        m.put("version", modelVersion);
        ArrayNode top = root.putArray("top_k");
        for (TopK.Entry entry : topK) {
            ObjectNode e = top.addObject();
            e.put("label", labels.get(entry.index()));
            e.put("index", entry.index());
            e.put("probability", entry.probability());
        }
        if (groundTruth != null) {
            root.put("ground_truth", groundTruth);
        }
        ObjectNode timings = root.putObject("timings_ms");
        timings.put("queue", queueMillis);
        timings.put("patchify", patchifyMillis);
        timings.put("inference", inferenceMillis);
        root.put("batch_size", batchSize);
        root.put("engine", engine);
        if (source != null) {
            root.put("source", source);
        }
        return root.toString();
    }
}
