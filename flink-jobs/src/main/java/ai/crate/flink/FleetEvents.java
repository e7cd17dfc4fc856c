package ai.crate.flink;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON events the inference job publishes on {@code fleet-status} about its models: a version activated, or an
 * announced version refused with the reason (the job keeps serving the version it had). Schema in
 * {@code docs/schemas.md}.
 */
final class FleetEvents {
    private static final ObjectMapper JSON = new ObjectMapper();

    private FleetEvents() {
    }

    static String activated(String source, ServingModel model, ServingModel previous, long timeMillis) {
        ObjectNode root = header("model-activated", source, timeMillis);
        model(root.putObject("model"), model);
        if (previous != null) {
            model(root.putObject("previous"), previous);
        }
        return root.toString();
    }

    static String refused(String source, ModelAnnouncement announcement, String reason, ServingModel serving,
                          long timeMillis) {
        ObjectNode root = header("model-refused", source, timeMillis);
        ObjectNode announced = root.putObject("announced");
        announced.put("name", announcement.name);
        announced.put("version", announcement.version);
        announced.put("bundle_uri", announcement.bundleUri);
        announced.put("sha256", announcement.sha256);
        root.put("reason", reason);
        model(root.putObject("serving"), serving);
        return root.toString();
    }

    private static ObjectNode header(String event, String source, long timeMillis) {
        ObjectNode root = JSON.createObjectNode();
        root.put("event", event);
        root.put("source", source);
        root.put("time_ms", timeMillis);
        return root;
    }

    private static void model(ObjectNode node, ServingModel model) {
        node.put("name", model.name());
        node.put("version", model.version());
    }
}
