package ai.crate.runtime.train;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Updates the trainable parameters from their gradients, with the semantics and defaults of the PyTorch optimiser
 * of the same name. Weight decay applies to every trainable parameter unless {@code decayNormAndBias} is false.
 * Optimisers keep per-parameter state, which {@link #state()} exposes for checkpoints.
 */
public interface Optimizer {

    /** One update of every trainable parameter at learning rate {@code lr}. */
    void step(List<Parameter> parameters, Gradients gradients, double lr);

    /** Updates taken so far. */
    long steps();

    /** The state to checkpoint, by name ({@code <parameter>.<buffer>}); arrays are live. */
    Map<String, float[]> state();

    /** Restores what {@link #state()} and {@link #steps()} gave. */
    void restore(Map<String, float[]> state, long steps);

    /** The optimiser's name as the command line spells it. */
    String name();

    /** Settings for {@link #create}: the optimiser's name and its hyper-parameters (NaN means PyTorch's default). */
    record Settings(String name, double weightDecay, double momentum, boolean nesterov, double beta1, double beta2,
                    double eps, boolean decayNormAndBias) {
        public Settings {
            name = name.toLowerCase(Locale.ROOT);
            if (!List.of("sgd", "adamw", "lion").contains(name)) {
                throw new IllegalArgumentException("unknown optimizer '" + name + "'; expected sgd, adamw or lion");
            }
            if (!Double.isNaN(weightDecay) && weightDecay < 0) {
                throw new IllegalArgumentException("weight decay must not be negative, got " + weightDecay);
            }
            if (!Double.isNaN(momentum) && (momentum < 0 || momentum >= 1)) {
                throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
            }
            if (nesterov && !name.equals("sgd")) {
                throw new IllegalArgumentException("nesterov applies to sgd only");
            }
        }

        /** PyTorch's defaults for {@code name}. */
        public static Settings defaults(String name) {
            return new Settings(name, Double.NaN, Double.NaN, false, Double.NaN, Double.NaN, Double.NaN, true);
        }

        double weightDecayOr(double fallback) {
            return Double.isNaN(weightDecay) ? fallback : weightDecay;
        }
    }

    /** The optimiser {@code settings} name, with PyTorch's defaults where a setting is NaN. */
    static Optimizer create(Settings settings) {
        return switch (settings.name()) {
            case "sgd" -> new Sgd(settings.weightDecayOr(0), Double.isNaN(settings.momentum()) ? 0
                    : settings.momentum(), settings.nesterov(), settings.decayNormAndBias());
            case "adamw" -> new AdamW(settings.weightDecayOr(0.01), or(settings.beta1(), 0.9),
                    or(settings.beta2(), 0.999), or(settings.eps(), 1e-8), settings.decayNormAndBias());
            case "lion" -> new Lion(settings.weightDecayOr(0), or(settings.beta1(), 0.9), or(settings.beta2(), 0.99),
                    settings.decayNormAndBias());
            default -> throw new IllegalArgumentException("unknown optimizer " + settings.name());
        };
    }

    private static double or(double value, double fallback) {
        return Double.isNaN(value) ? fallback : value;
    }
}
