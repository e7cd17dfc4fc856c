package ai.crate.flink;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FineTuneOptionsTest {
    private static final String[] REQUIRED = {"--bootstrap", "k:9092", "--model-uri", "/m", "--registry", "/r",
            "--signing-key", "/k/release.key", "--regression", "shapes:200:7"};

    @Test
    void defaultsAndOverrides() {
        FineTuneOptions o = FineTuneOptions.parse(REQUIRED);
        assertThat(o.everyLabels()).isEqualTo(200);
        assertThat(o.everyMinutes()).isEqualTo(60);
        assertThat(o.minLabels()).isEqualTo(50);
        assertThat(o.driftTrigger()).isTrue();
        assertThat(o.retentionMillis()).isEqualTo(600_000);
        assertThat(o.bundles()).isEqualTo(Path.of("/r/bundles"));
        assertThat(o.trainingTopic()).isEqualTo("training");
        assertThat(o.settings().train()).isEqualTo("last:2");

        FineTuneOptions p = FineTuneOptions.parse(concat(REQUIRED, "--every-labels", "50", "--no-drift-trigger",
                "--train", "all", "--bundle-dir", "/shared/bundles", "--margin", "0.05"));
        assertThat(p.everyLabels()).isEqualTo(50);
        assertThat(p.driftTrigger()).isFalse();
        assertThat(p.settings().train()).isEqualTo("all");
        assertThat(p.bundles()).isEqualTo(Path.of("/shared/bundles"));
        assertThat(p.margin()).isEqualTo(0.05);
    }

    @Test
    void badOptionsAreRefusedByName() {
        assertThatThrownBy(() -> FineTuneOptions.parse("--bootstrap", "k:9092", "--model-uri", "/m"))
                .hasMessageContaining("is required");
        assertThatThrownBy(() -> FineTuneOptions.parse(concat(REQUIRED, "--every-labels", "many")))
                .hasMessageContaining("--every-labels must be a whole number, got 'many'");
        assertThatThrownBy(() -> FineTuneOptions.parse(concat(REQUIRED, "--holdout", "1.5")))
                .hasMessageContaining("--holdout must be a fraction");
        assertThatThrownBy(() -> FineTuneOptions.parse(concat(REQUIRED, "--train", "middle")))
                .hasMessageContaining("--train");
        assertThatThrownBy(() -> FineTuneOptions.parse(concat(REQUIRED, "--optimizer", "adam9")))
                .hasMessageContaining("unknown optimizer 'adam9'");
        assertThatThrownBy(() -> FineTuneOptions.parse(concat(REQUIRED, "--margin", "-1")))
                .hasMessageContaining("must not be negative");
        assertThatThrownBy(() -> FineTuneOptions.parse(concat(REQUIRED, "--colour", "red")))
                .hasMessageContaining("unknown options [colour]");
        assertThatThrownBy(() -> FineTuneOptions.parse(concat(REQUIRED, "--steps")))
                .hasMessageContaining("--steps needs a value");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
