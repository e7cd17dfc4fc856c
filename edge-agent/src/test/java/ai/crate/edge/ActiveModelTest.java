package ai.crate.edge;

import ai.crate.runtime.signing.BundleSignature;
import ai.crate.runtime.signing.SigningKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The active version survives a restart only while it is there, signed by a trusted key, and updates are on. */
class ActiveModelTest {
    private static final Path MODEL = Path.of("../ops/demo/crate-shapes").toAbsolutePath();

    @Test
    void aRecordedSignedVersionIsServedAgainAndAnythingElseFallsBackToTheConfiguredModel(@TempDir Path dir)
            throws Exception {
        Path key = SigningKeys.generate(dir.resolve("keys"), "release").resolveSibling("release.key");
        Path v2 = dir.resolve("models/crate-shapes-2");
        Files.createDirectories(v2);
        for (String file : new String[] {"weights.safetensors", "labels.txt", "manifest.json"}) {
            Files.copy(MODEL.resolve(file), v2.resolve(file));
        }
        BundleSignature.sign(v2, SigningKeys.readPrivate(key), SigningKeys.publicBeside(key));
        String base = "device_id: d\nkafka:\n  bootstrap: k:9092\nmodel: " + MODEL + "\ncameras:\n  - id: c\n"
                + "    source: x.mp4\n";
        Files.writeString(dir.resolve("with.yaml"), base + "updates:\n  registry: http://r:1\n"
                + "  trusted_keys: keys/release.pub\n");
        Files.writeString(dir.resolve("without.yaml"), base);
        AgentConfig with = AgentConfig.load(dir.resolve("with.yaml"));
        AgentConfig without = AgentConfig.load(dir.resolve("without.yaml"));

        assertThat(ActiveModel.bundle(with)).as("nothing recorded yet").isEqualTo(MODEL);
        ActiveModel.record(with.stateDirectory(), v2);
        assertThat(ActiveModel.bundle(with)).isEqualTo(v2.toAbsolutePath());
        assertThat(ActiveModel.bundle(without)).as("updates off").isEqualTo(MODEL);

        Files.writeString(v2.resolve("manifest.sig"), "{}");
        assertThat(ActiveModel.bundle(with)).as("a broken signature").isEqualTo(MODEL);
    }
}
