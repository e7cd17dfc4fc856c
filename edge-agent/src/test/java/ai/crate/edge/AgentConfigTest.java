package ai.crate.edge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentConfigTest {
    private static final String MINIMAL = """
            device_id: jetson-17
            kafka:
              bootstrap: kafka-1:9092
            model: models/crate-shapes
            cameras:
              - id: lobby
                source: rtsp://10.0.0.7/stream1
            """;

    @Test
    void defaultsAndPathsRelativeToTheFile(@TempDir Path dir) throws Exception {
        AgentConfig c = AgentConfig.load(write(dir, MINIMAL));
        assertThat(c.deviceId()).isEqualTo("jetson-17");
        assertThat(c.group()).isEqualTo("default");
        assertThat(c.model()).isEqualTo(dir.resolve("models/crate-shapes"));
        assertThat(c.spoolDirectory()).isEqualTo(dir.resolve("spool"));
        assertThat(c.fsync().toString()).isEqualTo("interval:200");
        assertThat(c.spoolLimits().maxBytes()).isEqualTo(1L << 30);
        assertThat(c.cameras()).singleElement().satisfies(cam -> {
            assertThat(cam.id()).isEqualTo("lobby");
            assertThat(cam.fps()).isZero();
        });
        assertThat(c.predictionsTopic()).isEqualTo("predictions");
        assertThat(c.healthPort()).isEqualTo(8719);
        assertThat(c.heartbeatMillis()).isEqualTo(10_000);
        assertThat(c.enginePrecision()).isEqualTo("fp16");
        assertThat(c.engineCacheDirectory()).isEqualTo(dir.resolve("state/engines"));
    }

    @Test
    void everyMistakeIsNamedWithItsPath(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> AgentConfig.load(write(dir, MINIMAL.replace("device_id: jetson-17\n", ""))))
                .hasMessage("agent.yaml: device_id is required");
        assertThatThrownBy(() -> AgentConfig.load(write(dir, MINIMAL + "colour: red\n")))
                .hasMessageContaining("unknown setting colour");
        assertThatThrownBy(() -> AgentConfig.load(write(dir, MINIMAL.replace("    source: rtsp://10.0.0.7/stream1\n",
                "    sauce: x\n")))).hasMessageContaining("unknown setting cameras[0].sauce");
        assertThatThrownBy(() -> AgentConfig.load(write(dir, MINIMAL + "max_batch: -2\n")))
                .hasMessageContaining("max_batch must be a whole number from 1 to 256, got -2");
        assertThatThrownBy(() -> AgentConfig.load(write(dir, MINIMAL + "codes:\n  tokens: some\n")))
                .hasMessageContaining("codes: codes.tokens must be cls, mean or all, got some");
        assertThatThrownBy(() -> AgentConfig.load(write(dir, MINIMAL + "engine_precision: int4\n")))
                .hasMessageContaining("engine_precision must be fp16 or fp32, got 'int4'");
        assertThatThrownBy(() -> AgentConfig.load(write(dir, MINIMAL + "spool:\n  fsync: sometimes\n")))
                .hasMessageContaining("spool.fsync");
        assertThatThrownBy(() -> AgentConfig.load(write(dir, MINIMAL + "  - id: lobby\n    source: x\n")))
                .hasMessageContaining("cameras[1].id 'lobby' is used twice");
        assertThatThrownBy(() -> AgentConfig.load(write(dir, "device_id: [unclosed\n")))
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void modelUpdatesNeedAnHttpRegistryAndTrustedKeys(@TempDir Path dir) throws Exception {
        assertThat(AgentConfig.load(write(dir, MINIMAL)).updates()).as("no updates section: updates off").isNull();
        AgentConfig c = AgentConfig.load(write(dir, MINIMAL + """
                updates:
                  registry: http://registry:8710
                  trusted_keys: keys/release.pub, /etc/crate/ops.pub
                  min_agreement: 0.95
                """));
        assertThat(c.updates().registry().toString()).isEqualTo("http://registry:8710");
        assertThat(c.updates().trustedKeys()).containsExactly(dir.resolve("keys/release.pub"),
                Path.of("/etc/crate/ops.pub"));
        assertThat(c.updates().modelsDirectory()).isEqualTo(dir.resolve("models"));
        assertThat(c.updates().maxDownloadBytes()).isEqualTo(2048L << 20);
        assertThat(c.updates().canaryFrames()).isEqualTo(16);
        assertThat(c.updates().minAgreement()).isEqualTo(0.95);
        assertThatThrownBy(() -> AgentConfig.load(write(dir, MINIMAL + "updates:\n  registry: ftp://x\n"
                + "  trusted_keys: k.pub\n"))).hasMessageContaining("updates.registry must be an http:// or https://");
        assertThatThrownBy(() -> AgentConfig.load(write(dir, MINIMAL + "updates:\n  registry: http://r:1\n")))
                .hasMessageContaining("updates.trusted_keys is required");
    }

    @Test
    void theShippedExampleIsValid() throws Exception {
        AgentConfig c = AgentConfig.load(Path.of("../ops/edge/agent.yaml"));
        assertThat(c.deviceId()).isEqualTo("jetson-17");
        assertThat(c.cameras()).hasSize(2);
        assertThat(c.uploads().sampleEvery()).isEqualTo(500);
        assertThat(c.updates().trustedKeys()).containsExactly(Path.of("/etc/crate/trusted"));
        assertThat(c.spoolLimits().maxBytes()).isEqualTo(4L << 30);
    }

    private static Path write(Path dir, String text) throws Exception {
        Path file = dir.resolve("agent.yaml");
        Files.writeString(file, text);
        return file;
    }
}
