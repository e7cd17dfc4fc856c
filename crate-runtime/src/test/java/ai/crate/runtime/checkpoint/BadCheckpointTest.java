package ai.crate.runtime.checkpoint;

import ai.crate.runtime.CrateException;
import ai.crate.runtime.config.ConfigException;
import ai.crate.runtime.config.CrateConfigJson;
import ai.crate.runtime.config.PartialConfig;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.tensor.Tensor;
import ai.crate.runtime.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every kind of bad checkpoint fails with one line naming the file and the problem, and nothing else is touched. */
class BadCheckpointTest {
    @TempDir
    Path temp;

    private static Optional<PartialConfig> config(String fixture) throws ConfigException {
        return Optional.of(CrateConfigJson.readPartial(Fixtures.dir(fixture).resolve("config.json")));
    }

    private static void assertOneLine(Throwable e) {
        assertThat(e.getMessage()).doesNotContain("\n");
    }

    @Test
    void truncatedTorchCheckpoint() throws Exception {
        Path source = Fixtures.dir("nonsquare").resolve("checkpoint.pth.tar");
        byte[] bytes = Files.readAllBytes(source);
        for (int keep : new int[] {bytes.length / 2, bytes.length - 10, 100}) {
            Path cut = temp.resolve("cut-" + keep + ".pth");
            Files.write(cut, java.util.Arrays.copyOf(bytes, keep));
            assertThatThrownBy(() -> Checkpoints.read(cut))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageStartingWith(cut.toString())
                    .satisfies(BadCheckpointTest::assertOneLine);
        }
        assertThat(Files.readAllBytes(source)).isEqualTo(bytes);
    }

    @Test
    void corruptStorageIsCaughtByItsChecksum() throws Exception {
        byte[] bytes = Files.readAllBytes(Fixtures.dir("onehead").resolve("weights.pt"));
        bytes[bytes.length / 2] ^= 0x55;
        Path damaged = temp.resolve("damaged.pt");
        Files.write(damaged, bytes);
        assertThatThrownBy(() -> ModelLoader.load(damaged, config("onehead")))
                .isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith(damaged.toString())
                .hasMessageContaining("corrupt");
    }

    @Test
    void notAZip() throws Exception {
        Path text = temp.resolve("model.pth");
        Files.writeString(text, "this is not a checkpoint, just some text in a file");
        assertThatThrownBy(() -> Checkpoints.read(text))
                .isInstanceOf(CheckpointException.class)
                .hasMessage(text + ": not a checkpoint (neither a torch.save zip archive nor a .safetensors file,"
                        + " first bytes 7468697320697320)");
        Path empty = temp.resolve("empty.pt");
        Files.write(empty, new byte[0]);
        assertThatThrownBy(() -> Checkpoints.read(empty)).hasMessage(empty + ": empty file");
        Path zip = temp.resolve("other.zip");
        try (var out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new java.util.zip.ZipEntry("readme.txt"));
            out.write("hello".getBytes());
        }
        assertThatThrownBy(() -> Checkpoints.read(zip)).hasMessageContaining("no data.pkl entry");
        assertThatThrownBy(() -> Checkpoints.read(temp.resolve("absent.pth"))).hasMessageEndingWith("no such file");
    }

    @Test
    void legacyPickleIsRefusedWithAHint() throws Exception {
        Path legacy = temp.resolve("legacy.pth");
        Files.write(legacy, new byte[] {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c});
        assertThatThrownBy(() -> Checkpoints.read(legacy)).hasMessageContaining("legacy (pre-zip) torch.save");
    }

    @Test
    void pickleWithUnexpectedGlobalsIsNeverExecuted() throws Exception {
        Path evil = Fixtures.dir("bad").resolve("evil.pth");
        Path marker = Path.of("pwned");
        assertThatThrownBy(() -> Checkpoints.read(evil))
                .isInstanceOf(CheckpointException.class)
                .hasMessage(evil + ": the pickle refers to 'posix.system', which a weights file never needs;"
                        + " refusing to load it (nothing from a pickle is ever executed)");
        assertThat(marker).doesNotExist();
    }

    @Test
    void integerTensors() throws Exception {
        Path file = Fixtures.dir("bad").resolve("int-weights.pth");
        assertThatThrownBy(() -> ModelLoader.load(file, config("onehead")))
                .isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith(file.toString())
                .hasMessageContaining("integer-typed")
                .hasMessageContaining("mlp_head.1.weight (I32)");
    }

    @Test
    void missingUnexpectedAndMisShapedKeysAreListed() throws Exception {
        LoadedModel model = ModelLoader.load(Fixtures.dir("meanpool").resolve("model.safetensors"),
                config("meanpool"));
        Map<String, Tensor> tensors = new LinkedHashMap<>(model.weights().tensors());
        tensors.remove("transformer.layers.1.1.fn.weight");
        tensors.put("transformer.layers.0.extra", Tensor.of("transformer.layers.0.extra", new int[] {2},
                new float[2]));
        tensors.put("transformer.layers.2.0.fn.to_out.0.bias", Tensor.of("transformer.layers.2.0.fn.to_out.0.bias",
                new int[] {31}, new float[31]));
        Path file = temp.resolve("edited.safetensors");
        SafetensorsWriter.write(file, tensors.values(), Map.of());
        assertThatThrownBy(() -> ModelLoader.load(file, config("meanpool")))
                .isInstanceOf(CheckpointException.class)
                .hasMessage(file + ": weights do not match the config (3 layers, dim 32): 1 missing:"
                        + " transformer.layers.1.1.fn.weight; 1 unexpected: transformer.layers.0.extra;"
                        + " 1 mis-shaped: transformer.layers.2.0.fn.to_out.0.bias [31] (expected [32])");
    }

    @Test
    void configContradictingTheWeights() throws Exception {
        Path file = Fixtures.dir("nonsquare").resolve("checkpoint.pth.tar");
        PartialConfig given = config("nonsquare").get();
        PartialConfig wrong = new PartialConfig(new int[] {24, 48}, given.patchSize(), 10, 64, given.depth(), 4,
                16, given.pool(), given.channels(), given.ista(), given.lambd());
        assertThatThrownBy(() -> ModelLoader.load(file, Optional.of(wrong)))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ": config contradicts the weights: ")
                .hasMessageContaining("config says dim=64 but the weights have dim=48 (cls_token): set \"dim\": 48")
                .hasMessageContaining("config says num_classes=10 but the weights have num_classes=7")
                .hasMessageContaining("heads * dim_head = 4 * 16 = 64 but qkv.weight has 60 rows")
                .hasMessageContaining("makes 24 patches but pos_embedding has 32");
    }

    @Test
    void checkpointWithoutConfigSaysWhatTheWeightsDetermine() {
        Path file = Fixtures.dir("onehead").resolve("weights.pt");
        assertThatThrownBy(() -> ModelLoader.load(file, Optional.empty()))
                .isInstanceOf(CrateException.class)
                .hasMessageContaining("a checkpoint needs a config")
                .hasMessageContaining("dim=24, depth=2, num_classes=5, heads*dim_head=24")
                .hasMessageContaining("cannot give heads vs dim_head, patch_size, image_size, channels, pool or ista");
    }

    @Test
    void corruptSafetensorsHeader() throws Exception {
        byte[] bytes = Files.readAllBytes(Fixtures.dir("meanpool").resolve("model.safetensors"));
        bytes[9] = (byte) 0x23;
        Path damaged = temp.resolve("damaged.safetensors");
        Files.write(damaged, bytes);
        assertThatThrownBy(() -> Checkpoints.read(damaged)).isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith(damaged + ": corrupt safetensors header");
        Path cut = temp.resolve("cut.safetensors");
        byte[] original = Files.readAllBytes(Fixtures.dir("meanpool").resolve("model.safetensors"));
        Files.write(cut, java.util.Arrays.copyOf(original, original.length - 100));
        assertThatThrownBy(() -> Checkpoints.read(cut)).hasMessageStartingWith(cut + ": truncated (tensor ");
    }

    @Test
    void overlappingSafetensorsDataIsRefused() throws Exception {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        byte[] json = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(8 + json.length + 8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json);
        Path file = temp.resolve("overlap.safetensors");
        Files.write(file, out.array());
        assertThatThrownBy(() -> Checkpoints.read(file)).isInstanceOf(CheckpointException.class)
                .hasMessage(file + ": tensors a and b overlap (corrupt header)");
    }
}
