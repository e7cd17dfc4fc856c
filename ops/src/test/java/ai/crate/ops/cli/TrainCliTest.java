package ai.crate.ops.cli;

import ai.crate.runtime.checkpoint.Checkpoints;
import ai.crate.runtime.checkpoint.StateDict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code crate train} as the acceptance states it: one step from the authors' checkpoint equals {@code torch.optim}'s
 * ({@code make_train_fixtures.py}), under the authors' keys; plus resuming, bundles, {@code eval}, and bad input.
 */
class TrainCliTest {
    private static final Path FIXTURES = Path.of("../crate-runtime/src/test/resources/fixtures/train");
    @TempDir
    Path temp;
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @ParameterizedTest(name = "{0} {2}")
    @CsvSource({"sgd, 0.1, labels-int64.npy, sgd, ''", "sgd, 0.1, labels-int32.npy, sgd, ''",
            "adamw, 0.001, labels-int64.npy, adamw, 0.05"})
    void oneStepWritesWhatTorchOptimWrites(String optimizer, String lr, String labels, String expected,
                                           String weightDecay) throws Exception {
        Path output = temp.resolve("out.safetensors");
        String[] base = {"train", "--model", FIXTURES.resolve("checkpoint.pth").toString(), "--config",
                FIXTURES.resolve("config.json").toString(), "--images", FIXTURES.resolve("images.npy").toString(),
                "--labels", FIXTURES.resolve(labels).toString(), "--optimizer", optimizer, "--lr", lr, "--steps", "1",
                "--batch", "6", "--no-shuffle", "--output", output.toString(), "--quiet"};
        String[] args = weightDecay.isEmpty() ? base : append(base, "--weight-decay", weightDecay);
        assertThat(CrateCli.run(args)).as(console.err()).isZero();
        StateDict written = Checkpoints.read(output);
        StateDict torch = Checkpoints.read(FIXTURES.resolve(expected + ".pth"));
        assertThat(written.tensors().keySet()).containsExactlyInAnyOrderElementsOf(torch.tensors().keySet());
        for (String key : torch.tensors().keySet()) {
            float[] got = written.get(key).toFloat32().toArray();
            float[] want = torch.get(key).toFloat32().toArray();
            for (int i = 0; i < want.length; i++) {
                assertThat((double) Math.abs(got[i] - want[i])).as("%s[%d]", key, i)
                        .isLessThanOrEqualTo(1e-5 * Math.max(1, Math.abs(want[i])));
            }
        }
    }

    @Test
    void trainsABundleResumesAndEvaluates() throws Exception {
        Path config = temp.resolve("config.json");
        Files.writeString(config, "{\"image_size\": 16, \"patch_size\": 8, \"num_classes\": 10, \"dim\": 16,"
                + " \"depth\": 1, \"heads\": 2, \"dim_head\": 8}");
        Path bundle = temp.resolve("bundle");
        String[] train = {"train", "--config", config.toString(), "--dataset", "shapes:40", "--optimizer", "lion",
                "--lr", "1e-3", "--steps", "4", "--batch", "8", "--output", bundle.toString(), "--checkpoint-every",
                "2", "--quiet", "--threads", "2"};
        assertThat(CrateCli.run(train)).as(console.err()).isZero();
        assertThat(bundle.resolve("manifest.json")).exists();
        assertThat(Files.readAllLines(bundle.resolve("labels.txt"))).startsWith("circle", "ring");
        assertThat(temp.resolve("bundle.train-state.json")).exists();

        Path more = temp.resolve("more");
        Files.copy(temp.resolve("bundle.train-state.json"), temp.resolve("more.train-state.json"));
        Files.copy(temp.resolve("bundle.train-state.safetensors"), temp.resolve("more.train-state.safetensors"));
        String[] resumed = train.clone();
        resumed[14] = more.toString();
        resumed[10] = "6";
        assertThat(CrateCli.run(append(resumed, "--resume"))).as(console.err()).isZero();
        assertThat(console.err()).contains("resuming after step 4");

        console.resetOut();
        assertThat(CrateCli.run("eval", "--model", bundle.toString(), "--dataset", "shapes:20:9"))
                .as(console.err()).isZero();
        assertThat(console.out()).contains("eval images=20 top1=").contains("circle");
    }

    @Test
    void badInputIsNamed() throws Exception {
        String cfg = FIXTURES.resolve("config.json").toString();
        Path wrongLabels = temp.resolve("float-labels.npy");
        ai.crate.runtime.npy.Npy.writeFloat32(wrongLabels, new int[] {6}, new float[6]);
        assertThat(CrateCli.run("train", "--config", cfg, "--images", FIXTURES.resolve("images.npy").toString(),
                "--labels", wrongLabels.toString(), "--optimizer", "sgd", "--lr", "0.1", "--steps", "1", "--batch",
                "2", "--output", temp.resolve("x.safetensors").toString())).isEqualTo(1);
        assertThat(console.err()).contains("labels are FLOAT32; expected int64 or int32");
        assertThat(CrateCli.run("train", "--config", cfg, "--dataset", "shapes:10", "--optimizer", "adam", "--lr",
                "0.1", "--steps", "1", "--batch", "2", "--output", temp.resolve("x.safetensors").toString()))
                .isEqualTo(1);
        assertThat(console.err()).contains("shapes has 10 classes but the model has 5");
        assertThat(CrateCli.run("train", "--arch", "tiny", "--dataset", "circles", "--optimizer", "sgd", "--lr",
                "0.1", "--steps", "1", "--batch", "2", "--output", temp.resolve("y.safetensors").toString()))
                .isEqualTo(1);
        assertThat(console.err()).contains("unknown dataset 'circles'");
        assertThat(temp.resolve("x.safetensors")).doesNotExist();
    }

    private static String[] append(String[] args, String... more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }
}
