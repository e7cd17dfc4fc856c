package ai.crate.runtime.bundle;

import ai.crate.runtime.config.CrateConfigJson;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelBundleTest {
    @TempDir
    Path temp;

    private LoadedModel checkpoint() throws Exception {
        Path dir = Fixtures.dir("nonsquare");
        return ModelLoader.load(dir.resolve("checkpoint.pth.tar"),
                Optional.of(CrateConfigJson.readPartial(dir.resolve("config.json"))));
    }

    @Test
    void writeThenOpenGivesTheSameWeights() throws Exception {
        LoadedModel model = checkpoint();
        List<String> labels = List.of("a", "b", "c", "d", "e", "f", "g");
        Path bundle = temp.resolve("bundle");
        BundleManifest manifest = ModelBundle.write(bundle, "crate-x", "2", "1", model.weights(), labels,
                model.preprocessing());
        assertThat(manifest.sha256()).containsOnlyKeys("weights.safetensors", "labels.txt");

        LoadedModel reopened = ModelLoader.load(bundle, Optional.empty());
        assertThat(reopened.name()).isEqualTo("crate-x");
        assertThat(reopened.version()).isEqualTo("2");
        assertThat(reopened.labels()).isEqualTo(labels);
        assertThat(reopened.config()).isEqualTo(model.config());
        assertThat(reopened.preprocessing().resize()).isEqualTo(37);
        assertThat(reopened.preprocessing().mean()).containsExactly(0.485, 0.456, 0.406);
        for (String key : model.weights().tensors().keySet()) {
            assertThat(reopened.weights().get(key).toArray()).containsExactly(model.weights().get(key).toArray());
        }
        assertThat(Files.readString(bundle.resolve("manifest.json"))).contains("\"parent_version\" : \"1\"");
    }

    @Test
    void alteredFilesAndBadLabelsAreRefused() throws Exception {
        LoadedModel model = checkpoint();
        Path bundle = temp.resolve("bundle");
        ModelBundle.write(bundle, "x", "1", null, model.weights(), model.labels(), model.preprocessing());
        Files.writeString(bundle.resolve("labels.txt"), "tampered\n");
        assertThatThrownBy(() -> ModelBundle.open(bundle))
                .isInstanceOf(BundleException.class)
                .hasMessageContaining("labels.txt: sha256 ")
                .hasMessageContaining("differs from the manifest's");

        assertThatThrownBy(() -> ModelBundle.write(bundle, "x", "1", null, model.weights(), model.labels(),
                model.preprocessing())).hasMessageContaining("already exists and is not empty");
        assertThatThrownBy(() -> ModelBundle.write(temp.resolve("other"), "x", "1", null, model.weights(),
                List.of("only-one"), model.preprocessing())).hasMessageContaining("1 labels for a model with 7 classes");
        assertThat(temp.resolve("other")).doesNotExist();
        assertThatThrownBy(() -> ModelLoader.load(bundle, Optional.of(
                CrateConfigJson.readPartial(Fixtures.dir("nonsquare").resolve("config.json")))))
                .hasMessageContaining("a bundle carries its own config");
    }

    @Test
    void manifestMustListEveryFile() throws Exception {
        LoadedModel model = checkpoint();
        Path bundle = temp.resolve("bundle");
        ModelBundle.write(bundle, "x", "1", null, model.weights(), model.labels(), model.preprocessing());
        Path manifest = bundle.resolve("manifest.json");
        String text = Files.readString(manifest);
        Files.writeString(manifest, text.replaceAll("\"weights.safetensors\" : \"[0-9a-f]+\",\\s*", ""));
        assertThatThrownBy(() -> ModelBundle.open(bundle))
                .isInstanceOf(BundleException.class)
                .hasMessage(manifest + ": no sha256 for weights.safetensors; every file of a bundle must be listed");
        Files.writeString(manifest, text.replace("\"crop\" : [ 32, 48 ]", "\"crop\" : \"big\""));
        assertThatThrownBy(() -> ModelBundle.open(bundle))
                .hasMessage(manifest + ": preprocessing needs a positive resize and crop ([height, width])");
    }
}
