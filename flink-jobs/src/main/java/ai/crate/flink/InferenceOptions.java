package ai.crate.flink;

import ai.crate.ingest.codes.CodesOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The options of {@link InferenceJob}, from {@code --name value} arguments: where Kafka is, the model bundle, topics,
 * micro-batching, how long records may wait in Flink's network buffers, top-k, delivery guarantee, checkpoint interval,
 * sparse codes, model updates and the keys they must be signed by, white-box telemetry, and whether the sources stop at
 * the current end of their topics (tests and the demo). Unknown or malformed options are refused with their name.
 */
public record InferenceOptions(String bootstrap, String modelUri, String framesTopic, String predictionsTopic,
                               String dlqTopic, String groupId, int maxBatch, long maxWaitMillis, int topK,
                               int engineThreads, DeliveryGuarantee delivery, long checkpointMillis, int parallelism,
                               boolean bounded, CodesOptions codes, long transactionTimeoutMillis,
                               String updatesTopic, String fleetTopic, int telemetryEvery,
                               boolean allowTransactionV2, String driftTopic, int driftWindow, double driftAlpha,
                               String trustedKeys, long bufferTimeoutMillis)
        implements Serializable {

    public InferenceOptions {
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new IllegalArgumentException("--bootstrap HOST:PORT is required");
        }
        if (modelUri == null || modelUri.isBlank()) {
            throw new IllegalArgumentException("--model-uri (a bundle directory) is required");
        }
        if (transactionTimeoutMillis < 1000) {
            throw new IllegalArgumentException("--transaction-timeout-ms must be at least 1000, got "
                    + transactionTimeoutMillis);
        }
        if (driftWindow < 2 || !(driftAlpha > 0 && driftAlpha < 0.5)) {
            throw new IllegalArgumentException("--drift-window must be at least 2 and --drift-alpha in (0, 0.5), got "
                    + driftWindow + " and " + driftAlpha);
        }
        if (bufferTimeoutMillis < 0) {
            throw new IllegalArgumentException("--buffer-timeout-ms must be 0 (flush every record) or more, got "
                    + bufferTimeoutMillis);
        }
        if (telemetryEvery < 0) {
            throw new IllegalArgumentException("--telemetry-every must be 0 (off) or more, got " + telemetryEvery);
        }
        if (maxBatch < 1 || maxWaitMillis < 0 || topK < 1 || engineThreads < 1 || checkpointMillis < 100
                || parallelism < 1) {
            throw new IllegalArgumentException("--max-batch, --top-k, --engine-threads and --parallelism must be"
                    + " at least 1, --max-wait-ms at least 0 and --checkpoint-ms at least 100");
        }
    }

    /** Parses {@code --key value} pairs; see {@code README.md} for the list. */
    public static InferenceOptions parse(String... args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String key = args[i];
            if (!key.startsWith("--")) {
                throw new IllegalArgumentException("expected an option, got '" + key + "'");
            }
            if (key.equals("--bounded") || key.equals("--no-codes") || key.equals("--allow-transaction-v2")) {
                values.put(key.substring(2), "true");
                continue;
            }
            if (i + 1 == args.length) {
                throw new IllegalArgumentException(key + " needs a value");
            }
            values.put(key.substring(2), args[++i]);
        }
        InferenceOptions options = new InferenceOptions(values.remove("bootstrap"), values.remove("model-uri"),
                values.getOrDefault("frames-topic", "frames"), values.getOrDefault("predictions-topic", "predictions"),
                values.getOrDefault("dlq-topic", "frames-dlq"), values.getOrDefault("group-id", "crate-inference"),
                intOf(values, "max-batch", 8), longOf(values, "max-wait-ms", 50), intOf(values, "top-k", 3),
                intOf(values, "engine-threads", Runtime.getRuntime().availableProcessors()),
                delivery(values.getOrDefault("delivery", "exactly-once")), longOf(values, "checkpoint-ms", 2000),
                intOf(values, "parallelism", 1), Boolean.parseBoolean(values.getOrDefault("bounded", "false")),
                codes(values), longOf(values, "transaction-timeout-ms", 60_000),
                values.getOrDefault("updates-topic", "model-updates"),
                values.getOrDefault("fleet-topic", "fleet-status"), intOf(values, "telemetry-every", 50),
                values.containsKey("allow-transaction-v2"), values.getOrDefault("drift-topic", "drift"),
                intOf(values, "drift-window", 20), doubleOf(values, "drift-alpha", 0.01), values.get("trusted-keys"),
                longOf(values, "buffer-timeout-ms", 10));
        for (String key : new String[] {"frames-topic", "predictions-topic", "dlq-topic", "group-id", "max-batch",
                "max-wait-ms", "top-k", "engine-threads", "delivery", "checkpoint-ms", "parallelism", "bounded",
                "no-codes", "codes-layer", "codes-tokens", "codes-top-k", "codes-min", "codes-precision",
                "codes-topic", "transaction-timeout-ms", "updates-topic", "fleet-topic", "telemetry-every",
                "allow-transaction-v2", "drift-topic", "drift-window", "drift-alpha", "trusted-keys",
                "buffer-timeout-ms"}) {
            values.remove(key);
        }
        if (!values.isEmpty()) {
            throw new IllegalArgumentException("unknown options " + values.keySet());
        }
        return options;
    }

    private static CodesOptions codes(Map<String, String> values) {
        String precision = values.getOrDefault("codes-precision", "fp16");
        if (!precision.equals("fp16") && !precision.equals("fp32")) {
            throw new IllegalArgumentException("--codes-precision must be fp16 or fp32, got " + precision);
        }
        float min;
        try {
            min = Float.parseFloat(values.getOrDefault("codes-min", "0"));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--codes-min must be a number, got " + values.get("codes-min"));
        }
        return new CodesOptions(!values.containsKey("no-codes"), intOf(values, "codes-layer", -1),
                CodesOptions.tokens(values.getOrDefault("codes-tokens", "cls")), intOf(values, "codes-top-k", 0), min,
                precision.equals("fp16"), values.getOrDefault("codes-topic", "sparse-codes"));
    }

    private static DeliveryGuarantee delivery(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "exactly-once" -> DeliveryGuarantee.EXACTLY_ONCE;
            case "at-least-once" -> DeliveryGuarantee.AT_LEAST_ONCE;
            default -> throw new IllegalArgumentException("--delivery must be exactly-once or at-least-once, got "
                    + text);
        };
    }

    private static double doubleOf(Map<String, String> values, String key, double fallback) {
        String text = values.get(key);
        try {
            return text == null ? fallback : Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be a number, got '" + text + "'");
        }
    }

    private static int intOf(Map<String, String> values, String key, int fallback) {
        return (int) longOf(values, key, fallback);
    }

    private static long longOf(Map<String, String> values, String key, long fallback) {
        String text = values.get(key);
        try {
            return text == null ? fallback : Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be a whole number, got '" + text + "'");
        }
    }
}
