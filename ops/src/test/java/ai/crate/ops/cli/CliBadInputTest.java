package ai.crate.ops.cli;

import ai.crate.runtime.checkpoint.SafetensorsWriter;
import ai.crate.runtime.config.CrateConfigJson;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.npy.Npy;
import ai.crate.runtime.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each kind of bad input to {@code infer} and {@code inspect} exits 1 with one line that names the offending file and
 * the problem, and leaves no output file behind.
 */
class CliBadInputTest {
    private static final Path FIXTURES = Path.of("../crate-runtime/src/test/resources/fixtures");

    @TempDir
    Path temp;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedErr;
    private PrintStream savedOut;

    @BeforeEach
    void capture() {
        savedErr = System.err;
        savedOut = System.out;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(savedErr);
        System.setOut(savedOut);
    }

    /** A bad case: the arguments (model, config, input) and the file and words the message must contain. */
    private record Case(String model, String config, String input, Path culprit, String problem) {
    }

    private Case prepare(String kind) throws Exception {
        Path nonsquare = FIXTURES.resolve("nonsquare");
        String config = nonsquare.resolve("config.json").toString();
        String input = nonsquare.resolve("input.npy").toString();
        Path checkpoint = nonsquare.resolve("checkpoint.pth.tar");
        switch (kind) {
            case "truncated": {
                Path cut = temp.resolve("truncated.pth");
                byte[] bytes = Files.readAllBytes(checkpoint);
                Files.write(cut, Arrays.copyOf(bytes, bytes.length / 3));
                return new Case(cut.toString(), config, input, cut, "truncated");
            }
            case "not-a-zip": {
                Path text = temp.resolve("notes.pth");
                Files.writeString(text, "not a checkpoint at all");
                return new Case(text.toString(), config, input, text, "not a checkpoint");
            }
            case "evil-pickle": {
                Path evil = FIXTURES.resolve("bad/evil.pth");
                return new Case(evil.toString(), config, input, evil, "refusing to load it");
            }
            case "integer-tensor": {
                Path ints = FIXTURES.resolve("bad/int-weights.pth");
                return new Case(ints.toString(), FIXTURES.resolve("onehead/config.json").toString(),
                        FIXTURES.resolve("onehead/input.npy").toString(), ints, "integer-typed");
            }
            case "missing-key": {
                Path meanpool = FIXTURES.resolve("meanpool");
                LoadedModel model = ModelLoader.load(meanpool.resolve("model.safetensors"),
                        Optional.of(CrateConfigJson.readPartial(meanpool.resolve("config.json"))));
                Map<String, Tensor> tensors = new LinkedHashMap<>(model.weights().tensors());
                tensors.remove("mlp_head.0.bias");
                Path edited = temp.resolve("missing.safetensors");
                SafetensorsWriter.write(edited, tensors.values(), Map.of());
                return new Case(edited.toString(), meanpool.resolve("config.json").toString(),
                        meanpool.resolve("input.npy").toString(), edited, "1 missing: mlp_head.0.bias");
            }
            case "contradicting-config": {
                Path wrong = temp.resolve("wrong.json");
                Files.writeString(wrong, Files.readString(nonsquare.resolve("config.json"))
                        .replace("\"num_classes\": 7", "\"num_classes\": 1000"));
                assertThat(Files.readString(wrong)).contains("1000");
                return new Case(checkpoint.toString(), wrong.toString(), input, checkpoint,
                        "config says num_classes=1000 but the weights have num_classes=7");
            }
            case "npy-rank": {
                Path flat = temp.resolve("flat.npy");
                Npy.writeFloat32(flat, new int[] {3 * 32 * 48}, new float[3 * 32 * 48]);
                return new Case(checkpoint.toString(), config, flat.toString(), flat, "expected a rank-4 array");
            }
            case "npy-dtype": {
                Path doubles = temp.resolve("doubles.npy");
                Npy.writeFloat64(doubles, new int[] {1, 3, 32, 48}, new double[3 * 32 * 48]);
                return new Case(checkpoint.toString(), config, doubles.toString(), doubles,
                        "dtype <f8 but <f4 (float32) is required");
            }
            case "npy-nan": {
                Path nan = temp.resolve("nan.npy");
                float[] values = new float[2 * 3 * 32 * 48];
                values[3 * 32 * 48 + 7] = Float.NaN;
                Npy.writeFloat32(nan, new int[] {2, 3, 32, 48}, values);
                return new Case(checkpoint.toString(), config, nan.toString(), nan,
                        "image 1 holds NaN at flat index 4615; inputs must be finite");
            }
            default:
                throw new IllegalArgumentException(kind);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"truncated", "not-a-zip", "evil-pickle", "integer-tensor", "missing-key",
            "contradicting-config", "npy-rank", "npy-dtype", "npy-nan"})
    void oneLineNamingTheFileAndExitOne(String kind) throws Exception {
        Case bad = prepare(kind);
        for (String command : List.of("infer", "inspect")) {
            err.reset();
            Path output = temp.resolve(command + ".out");
            int code = CrateCli.run(command, "--model", bad.model(), "--config", bad.config(), "--input", bad.input(),
                    "--output", output.toString());
            String message = err.toString(StandardCharsets.UTF_8).strip();
            assertThat(code).as(message).isEqualTo(1);
            assertThat(message).doesNotContain("\n").startsWith("crate " + command + ": ")
                    .contains(bad.culprit().toString()).contains(bad.problem());
            assertThat(output).doesNotExist();
        }
    }
}
