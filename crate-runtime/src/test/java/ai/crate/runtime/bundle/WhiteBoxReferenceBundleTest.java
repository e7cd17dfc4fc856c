package ai.crate.runtime.bundle;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.model.RandomWeights;
import ai.crate.runtime.whitebox.LayerStats;
import ai.crate.runtime.whitebox.WhiteBoxReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A white-box reference written into a bundle's manifest reads back exactly, and invalidates an old signature. */
class WhiteBoxReferenceBundleTest {

    @Test
    void theReferenceRoundTripsThroughTheManifest(@TempDir Path temp) throws Exception {
        CrateConfig config = CrateConfig.builder().imageSize(16, 16).patchSize(8, 8).numClasses(3).dim(16).depth(2)
                .heads(2).dimHead(8).pool(Pool.CLS).build();
        Path bundle = temp.resolve("b");
        ModelBundle.write(bundle, "m", "1", null, RandomWeights.of(config, 1), List.of("a", "b", "c"),
                Preprocessing.imagenetDefaults(config));
        assertThat(ModelBundle.open(bundle).manifest().whiteboxReference()).isNull();
        double[][] covariance = {{4, 1, 0, 0}, {1, 9, 0, 0}, {0, 0, 0.01, 0}, {0, 0, 0, 0.02}};
        WhiteBoxReference reference = new WhiteBoxReference("shapes:64:3", 64, List.of(
                new LayerStats(0, 10.5, 2, 0.25, 0.1), new LayerStats(1, 8.25, 3, 0.5, 0.14)), covariance);
        Files.writeString(bundle.resolve("manifest.sig"), "{}");

        assertThat(ModelBundle.writeReference(bundle, reference)).as("the stale signature was removed").isTrue();
        WhiteBoxReference read = ModelBundle.open(bundle).manifest().whiteboxReference();
        assertThat(read.source()).isEqualTo("shapes:64:3");
        assertThat(read.images()).isEqualTo(64);
        assertThat(read.layers()).isEqualTo(reference.layers());
        assertThat(read.covariance()).isDeepEqualTo(covariance);
        assertThat(bundle.resolve("manifest.sig")).doesNotExist();

        WhiteBoxReference wrongDepth = new WhiteBoxReference("x", 8, List.of(new LayerStats(0, 1, 1, 1, 1)),
                new double[2][2]);
        assertThatThrownBy(() -> ModelBundle.writeReference(bundle, wrongDepth))
                .hasMessageContaining("a white-box reference of 1 layers for a model of 2");
    }

    @Test
    void aTrainingRecordRoundTripsAndTheFilesHashesCannotBeRewritten(@TempDir Path temp) throws Exception {
        CrateConfig config = CrateConfig.builder().imageSize(16, 16).patchSize(8, 8).numClasses(3).dim(16).depth(2)
                .heads(2).dimHead(8).pool(Pool.CLS).build();
        Path bundle = temp.resolve("b");
        ModelBundle.write(bundle, "m", "2", "1", RandomWeights.of(config, 1), List.of("a", "b", "c"),
                Preprocessing.imagenetDefaults(config));
        assertThat(ModelBundle.open(bundle).manifest().training()).isEmpty();
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("data", "feedback: 256 frames from 2 cameras");
        summary.put("holdout_after", 0.8125);
        summary.put("steps", 120);
        ModelBundle.rewriteManifest(bundle, m -> m.withTraining(summary));
        Map<String, Object> read = ModelBundle.open(bundle, true).manifest().training();
        assertThat(read).containsEntry("data", "feedback: 256 frames from 2 cameras").containsEntry("steps", 120);
        assertThat(((Number) read.get("holdout_after")).doubleValue()).isEqualTo(0.8125);

        assertThatThrownBy(() -> ModelBundle.rewriteManifest(bundle, m -> new BundleManifest(m.name(), m.version(),
                m.parentVersion(), m.config(), m.labelsFile(), m.preprocessing(), Map.of(), m.created(), null,
                Map.of()))).hasMessageContaining("may not change the files' sha256");
    }
}
