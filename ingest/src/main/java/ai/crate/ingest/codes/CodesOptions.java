package ai.crate.ingest.codes;

import ai.crate.ingest.proto.TokenSelection;

import java.io.Serializable;
import java.util.Locale;

/**
 * What {@code InferenceJob} and the edge agent publish on {@code sparse-codes}: whether at all, which layer's ISTA output (-1: the
 * last), which tokens ({@code cls}, {@code mean} or {@code all}), the largest entries kept per row (0: every nonzero),
 * the smallest magnitude kept, and fp16 or fp32 values. The defaults (last layer, cls, all nonzeros, fp16) keep a
 * CRATE-T message near 1.5 KB.
 */
public record CodesOptions(boolean enabled, int layer, TokenSelection tokens, int topK, float minMagnitude,
                           boolean fp16, String topic) implements Serializable {

    public CodesOptions {
        if (tokens == null || tokens == TokenSelection.TOKENS_UNSPECIFIED || tokens == TokenSelection.UNRECOGNIZED) {
            throw new IllegalArgumentException("--codes-tokens must be cls, mean or all");
        }
        if (topK < 0 || minMagnitude < 0 || layer < -1) {
            throw new IllegalArgumentException("--codes-top-k and --codes-min must not be negative, --codes-layer"
                    + " must be a layer index or -1 for the last");
        }
    }

    public static CodesOptions defaults() {
        return new CodesOptions(true, -1, TokenSelection.CLS, 0, 0f, true, "sparse-codes");
    }

    /** {@code cls}, {@code mean} or {@code all}; anything else is refused with the accepted values. */
    public static TokenSelection tokens(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "cls" -> TokenSelection.CLS;
            case "mean" -> TokenSelection.MEAN;
            case "all" -> TokenSelection.ALL;
            default -> throw new IllegalArgumentException("--codes-tokens must be cls, mean or all, got " + text);
        };
    }
}
