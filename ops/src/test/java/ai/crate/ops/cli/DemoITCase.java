package ai.crate.ops.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code crate demo} end to end, small: every frame in comes out as a prediction, and the model is right. */
class DemoITCase {
    @TempDir
    Path temp;

    @Test
    void demoAccountsForEveryFrame() throws Exception {
        Path json = temp.resolve("summary.json");
        assertThat(CrateCli.run("demo", "--frames", "40", "--cameras", "2", "--fast", "--model",
                "demo/crate-shapes", "--json", json.toString())).isZero();
        JsonNode summary = new ObjectMapper().readTree(json.toFile());
        assertThat(summary.get("frames_in").asLong()).isEqualTo(80);
        assertThat(summary.get("predictions_out").asLong()).isEqualTo(80);
        assertThat(summary.get("accuracy").asDouble()).isGreaterThanOrEqualTo(0.9);
        assertThat(summary.get("sparsity_per_layer")).hasSize(4);
    }
}
