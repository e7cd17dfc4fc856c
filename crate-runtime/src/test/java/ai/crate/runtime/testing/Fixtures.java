package ai.crate.runtime.testing;

import ai.crate.runtime.whitebox.LayerStats;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

/** Paths of the committed reference fixtures and the comparisons every parity test makes against them. */
public final class Fixtures {
    private Fixtures() {
    }

    public static Path dir(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Logits match to max |Δ| ≤ 1e-4·max(1, |ref|), element by element. */
    public static void assertLogitsMatch(float[] actual, float[] expected) {
        assertLogitsMatch(actual, expected, 1e-4);
    }

    /** Logits match to max |Δ| ≤ tolerance·max(1, |ref|), element by element. */
    public static void assertLogitsMatch(float[] actual, float[] expected, double tolerance) {
        assertThat(actual).hasSameSizeAs(expected);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < expected.length; i++) {
            double excess = Math.abs(actual[i] - expected[i]) / (tolerance * Math.max(1.0, Math.abs(expected[i])));
            if (excess > worst) {
                worst = excess;
                worstAt = i;
            }
        }
        assertThat(worst).as("worst |Δ|/tolerance at %d: %s vs %s", worstAt,
                worstAt < 0 ? 0 : actual[worstAt], worstAt < 0 ? 0 : expected[worstAt]).isLessThanOrEqualTo(1.0);
    }

    /** White-box figures match: coding rate to 1e-3 relative, sparsity to 1e-6 absolute. */
    public static void assertWhiteBoxMatches(List<LayerStats> actual, Path expectedJson) throws IOException {
        assertWhiteBoxMatches(actual, expectedJson, 1e-6);
    }

    /** As above, with the sparsity tolerance given. */
    public static void assertWhiteBoxMatches(List<LayerStats> actual, Path expectedJson, double sparsityTolerance)
            throws IOException {
        JsonNode layers = new ObjectMapper().readTree(expectedJson.toFile()).get("layers");
        assertThat(actual).hasSize(layers.size());
        for (int l = 0; l < layers.size(); l++) {
            JsonNode e = layers.get(l);
            LayerStats a = actual.get(l);
            assertThat(a.codingRateMean()).as("layer %d coding rate", l)
                    .isCloseTo(e.get("coding_rate_mean").asDouble(), withinPercentage(0.1));
            if (!e.get("coding_rate_std").isNull()) {
                assertThat(a.codingRateStd()).as("layer %d coding rate std", l)
                        .isCloseTo(e.get("coding_rate_std").asDouble(),
                                org.assertj.core.api.Assertions.within(1e-3 * e.get("coding_rate_mean").asDouble()));
            }
            assertThat(a.sparsityMean()).as("layer %d sparsity", l)
                    .isCloseTo(e.get("sparsity_mean").asDouble(), org.assertj.core.api.Assertions.within(sparsityTolerance));
            assertThat(a.sparsityStd()).as("layer %d sparsity std", l)
                    .isCloseTo(e.get("sparsity_std").asDouble(), org.assertj.core.api.Assertions.within(sparsityTolerance));
        }
    }
}
