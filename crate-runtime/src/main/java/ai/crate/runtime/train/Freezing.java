package ai.crate.runtime.train;

import java.util.Locale;

/**
 * Which parameters train: {@code all}; {@code head} (the final LayerNorm and Linear); or {@code last:K} (the last K
 * layers and the head). Applied with {@link #apply}; the others keep their values.
 */
public record Freezing(String spec, int lastLayers) {

    /** Parses {@code all}, {@code head} or {@code last:K}, naming the accepted forms when it cannot. */
    public static Freezing parse(String text) {
        String spec = text.trim().toLowerCase(Locale.ROOT);
        if (spec.equals("all") || spec.equals("head")) {
            return new Freezing(spec, 0);
        }
        if (spec.startsWith("last:")) {
            try {
                int k = Integer.parseInt(spec.substring(5));
                if (k >= 1) {
                    return new Freezing("last", k);
                }
            } catch (NumberFormatException e) {
                // reported below with the accepted forms
            }
        }
        throw new IllegalArgumentException("--train '" + text + "' is not all, head or last:K with K ≥ 1");
    }

    /** Marks each parameter of {@code model} trainable or frozen. */
    public void apply(TrainableCrate model) {
        int depth = model.config().depth();
        if (spec.equals("last") && lastLayers > depth) {
            throw new IllegalArgumentException("--train last:" + lastLayers + " asks for more layers than the model's "
                    + depth);
        }
        for (Parameter p : model.parameters()) {
            p.trainable(switch (spec) {
                case "all" -> true;
                case "head" -> p.name().startsWith("mlp_head.");
                default -> p.name().startsWith("mlp_head.") || layerOf(p.name()) >= depth - lastLayers;
            });
        }
    }

    private static int layerOf(String name) {
        String prefix = "transformer.layers.";
        if (!name.startsWith(prefix)) {
            return -1;
        }
        return Integer.parseInt(name.substring(prefix.length(), name.indexOf('.', prefix.length())));
    }

    @Override
    public String toString() {
        return spec.equals("last") ? "last:" + lastLayers : spec;
    }
}
