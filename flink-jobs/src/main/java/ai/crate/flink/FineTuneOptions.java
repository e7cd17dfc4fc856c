package ai.crate.flink;

import ai.crate.runtime.train.FineTuner;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The options of {@link FineTuneJob}, from {@code --name value} arguments: where Kafka, the production model, the
 * registry and the signing key are; the topics; the join's retention window; when a fine-tune runs (every N labels,
 * every T minutes, on drift); the replay buffer; what trains and how; and the gate. Unknown or malformed options are
 * refused with their name; {@code README.md} lists them with their defaults.
 */
public record FineTuneOptions(String bootstrap, String modelUri, String registry, String bundleDir, String signingKey,
                              String regression, String framesTopic, String feedbackTopic, String updatesTopic,
                              String driftTopic, String trainingTopic, String groupId, long retentionMillis,
                              int everyLabels, double everyMinutes, int minLabels, boolean driftTrigger, int perClass,
                              double holdout, String train, String optimizer, double lr, long steps, int batch,
                              int threads, long seed, double margin, double tolerance, long checkpointMillis,
                              String checkpointDir)
        implements Serializable {

    private static final List<String> FLAGS = List.of("no-drift-trigger");

    public FineTuneOptions {
        for (var required : Map.of("--bootstrap HOST:PORT", nullToEmpty(bootstrap), "--model-uri (the bundle"
                        + " serving when the registry has no production version)", nullToEmpty(modelUri),
                "--registry DIR", nullToEmpty(registry), "--signing-key FILE.key", nullToEmpty(signingKey),
                "--regression (a fixed data set: shapes:N:SEED or IMAGES.npy,LABELS.npy)",
                nullToEmpty(regression)).entrySet()) {
            if (required.getValue().isBlank()) {
                throw new IllegalArgumentException(required.getKey() + " is required");
            }
        }
        if (retentionMillis < 1 || everyLabels < 1 || minLabels < 1 || perClass < 1 || steps < 1 || batch < 1
                || threads < 1 || checkpointMillis < 100) {
            throw new IllegalArgumentException("--retention-ms, --every-labels, --min-labels, --per-class, --steps,"
                    + " --batch and --threads must be at least 1, and --checkpoint-ms at least 100");
        }
        if (!(everyMinutes >= 0)) {
            throw new IllegalArgumentException("--every-minutes must be 0 (off) or more, got " + everyMinutes);
        }
        if (!(holdout > 0 && holdout < 1)) {
            throw new IllegalArgumentException("--holdout must be a fraction in (0, 1), got " + holdout);
        }
        if (!(lr > 0)) {
            throw new IllegalArgumentException("--lr must be positive, got " + lr);
        }
        settings(train, optimizer, lr, steps, batch, threads, seed, margin, tolerance);
    }

    /** Parses {@code --key value} pairs (and the flag {@code --no-drift-trigger}). */
    public static FineTuneOptions parse(String... args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String key = args[i];
            if (!key.startsWith("--")) {
                throw new IllegalArgumentException("expected an option, got '" + key + "'");
            }
            if (FLAGS.contains(key.substring(2))) {
                values.put(key.substring(2), "true");
                continue;
            }
            if (i + 1 == args.length) {
                throw new IllegalArgumentException(key + " needs a value");
            }
            values.put(key.substring(2), args[++i]);
        }
        Options o = new Options(values);
        FineTuneOptions options = new FineTuneOptions(o.text("bootstrap", null), o.text("model-uri", null),
                o.text("registry", null), o.text("bundle-dir", null), o.text("signing-key", null),
                o.text("regression", null), o.text("frames-topic", "frames"), o.text("feedback-topic", "feedback"),
                o.text("updates-topic", "model-updates"), o.text("drift-topic", "drift"),
                o.text("training-topic", "training"), o.text("group-id", "crate-fine-tune"),
                o.whole("retention-ms", 600_000), (int) o.whole("every-labels", 200), o.number("every-minutes", 60),
                (int) o.whole("min-labels", 50), !o.flag("no-drift-trigger"), (int) o.whole("per-class", 100),
                o.number("holdout", 0.2), o.text("train", "last:2"), o.text("optimizer", "adamw"), o.number("lr", 3e-4),
                o.whole("steps", 120), (int) o.whole("batch", 32),
                (int) o.whole("threads", Runtime.getRuntime().availableProcessors()), o.whole("seed", 1),
                o.number("margin", 0.02), o.number("tolerance", 0.05), o.whole("checkpoint-ms", 2000),
                o.text("checkpoint-dir", null));
        if (!o.unused().isEmpty()) {
            throw new IllegalArgumentException("unknown options " + o.unused());
        }
        return options;
    }

    /** The training and gate settings for {@link FineTuner#run}. */
    public FineTuner.Settings settings() {
        return settings(train, optimizer, lr, steps, batch, threads, seed, margin, tolerance);
    }

    /** Where accepted and refused candidates' bundles are written: {@code --bundle-dir}, or {@code REGISTRY/bundles}. */
    public Path bundles() {
        return bundleDir != null ? Path.of(bundleDir) : Path.of(registry).resolve("bundles");
    }

    private static FineTuner.Settings settings(String train, String optimizer, double lr, long steps, int batch,
                                               int threads, long seed, double margin, double tolerance) {
        try {
            return new FineTuner.Settings(train, optimizer, lr, steps, batch, threads, seed, margin, tolerance);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--train, --optimizer, --margin or --tolerance: " + e.getMessage());
        }
    }

    private static String nullToEmpty(String text) {
        return text == null ? "" : text;
    }

    /** The parsed {@code --key value} pairs, read once each so the rest can be reported as unknown. */
    private static final class Options {
        private final Map<String, String> values;

        Options(Map<String, String> values) {
            this.values = values;
        }

        String text(String key, String fallback) {
            String value = values.remove(key);
            return value != null ? value : fallback;
        }

        boolean flag(String key) {
            return values.remove(key) != null;
        }

        long whole(String key, long fallback) {
            String text = values.remove(key);
            try {
                return text == null ? fallback : Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + key + " must be a whole number, got '" + text + "'");
            }
        }

        double number(String key, double fallback) {
            String text = values.remove(key);
            try {
                return text == null ? fallback : Double.parseDouble(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + key + " must be a number, got '" + text + "'");
            }
        }

        java.util.Set<String> unused() {
            return values.keySet();
        }
    }
}
