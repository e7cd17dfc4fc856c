package ai.crate.runtime.config;

import java.util.List;
import java.util.Locale;

/** The authors' CRATE-T/S/B/L shapes at 224×224 with 16×16 patches and 1000 classes. */
public final class Presets {
    public static final List<String> NAMES = List.of("tiny", "small", "base", "large");

    private Presets() {
    }

    public static CrateConfig tiny() {
        return preset(384, 12, 6, 64);
    }

    public static CrateConfig small() {
        return preset(576, 12, 12, 48);
    }

    public static CrateConfig base() {
        return preset(768, 12, 12, 64);
    }

    public static CrateConfig large() {
        return preset(1024, 24, 16, 64);
    }

    /** The preset of that name ({@code tiny}, {@code small}, {@code base}, {@code large}; T/S/B/L accepted). */
    public static CrateConfig named(String name) throws ConfigException {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "tiny":
            case "t":
                return tiny();
            case "small":
            case "s":
                return small();
            case "base":
            case "b":
                return base();
            case "large":
            case "l":
                return large();
            default:
                throw new ConfigException("unknown arch '" + name + "': use one of " + String.join(", ", NAMES));
        }
    }

    private static CrateConfig preset(int dim, int depth, int heads, int dimHead) {
        return new CrateConfig(224, 224, 16, 16, 1000, dim, depth, heads, dimHead, Pool.CLS, 3, 0.1f, 0.1f);
    }
}
