package ai.crate.ops.cli;

import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.runtime.npy.Npy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code bin/crate}'s commands end to end on the committed PyTorch fixtures, and their errors. */
class CrateCliTest {
    private static final Path FIXTURES = Path.of("../crate-runtime/src/test/resources/fixtures");
    private static final Path CASE = FIXTURES.resolve("nonsquare");
    private static final String MODEL = CASE.resolve("checkpoint.pth.tar").toString();
    private static final String CONFIG = CASE.resolve("config.json").toString();
    private static final String INPUT = CASE.resolve("input.npy").toString();

    @TempDir
    Path temp;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"reference", "onnxruntime", "auto"})
    void inferWritesPyTorchsLogits(String engine) throws Exception {
        Path output = temp.resolve("y.npy");
        int code = CrateCli.run("infer", "--model", MODEL, "--config", CONFIG, "--input", INPUT, "--output",
                output.toString(), "--batch-size", "2", "--engine", engine);
        assertThat(code).as(stderr()).isZero();
        float[] actual = Npy.read(output).toFloats();
        float[] expected = Npy.read(CASE.resolve("logits.npy")).toFloats();
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).isCloseTo(expected[i], within(1e-4f * Math.max(1f, Math.abs(expected[i]))));
        }
        assertThat(stderr()).contains("2/3 images").contains("3/3 images");
    }

    @Test
    void inspectWritesTheWhiteBoxJsonAndATable() throws Exception {
        Path output = temp.resolve("wb.json");
        int code = CrateCli.run("inspect", "--model", MODEL, "--config", CONFIG, "--input", INPUT, "--output",
                output.toString());
        assertThat(code).as(stderr()).isZero();
        JsonNode actual = new ObjectMapper().readTree(output.toFile()).get("layers");
        JsonNode expected = new ObjectMapper().readTree(CASE.resolve("whitebox.json").toFile()).get("layers");
        assertThat(actual).hasSize(2);
        for (int l = 0; l < 2; l++) {
            assertThat(actual.get(l).get("layer").asInt()).isEqualTo(l);
            assertThat(actual.get(l).get("coding_rate_mean").asDouble())
                    .isCloseTo(expected.get(l).get("coding_rate_mean").asDouble(), within(0.01));
            assertThat(actual.get(l).get("sparsity_mean").asDouble())
                    .isCloseTo(expected.get(l).get("sparsity_mean").asDouble(), within(1e-6));
        }
        assertThat(stdout()).contains("layer     coding_rate").contains("wrote " + output);
    }

    @Test
    void importThenInferFromTheBundle() throws Exception {
        Path labels = temp.resolve("labels.txt");
        Files.writeString(labels, "zero\none\ntwo\nthree\nfour\nfive\nsix\n");
        Path bundle = temp.resolve("bundle");
        assertThat(CrateCli.run("import", "--model", MODEL, "--config", CONFIG, "--labels", labels.toString(),
                "--output", bundle.toString(), "--name", "crate-ns")).as(stderr()).isZero();
        assertThat(bundle.resolve("manifest.json")).exists();
        Path output = temp.resolve("y.npy");
        assertThat(CrateCli.run("infer", "--model", bundle.toString(), "--input", INPUT, "--output",
                output.toString())).as(stderr()).isZero();
        assertThat(Npy.read(output).shape()).containsExactly(3, 7);
        assertThat(CrateCli.run("info", "--model", bundle.toString())).isZero();
        assertThat(stdout()).contains("name:         crate-ns version 1").contains("parameters:   26,023");
    }

    @Test
    void badInputGivesOneLineAndANonZeroExit() throws Exception {
        Path output = temp.resolve("y.npy");
        String evil = FIXTURES.resolve("bad/evil.pth").toString();
        assertThat(CrateCli.run("infer", "--model", evil, "--config", CONFIG, "--input", INPUT, "--output",
                output.toString())).isEqualTo(1);
        assertThat(stderr().strip()).doesNotContain("\n")
                .startsWith("crate infer: " + evil + ": the pickle refers to 'posix.system'");
        assertThat(output).doesNotExist();

        err.reset();
        Path ints = temp.resolve("ints.npy");
        Npy.writeInt64(ints, new int[] {1, 3, 32, 48}, new long[3 * 32 * 48]);
        assertThat(CrateCli.run("infer", "--model", MODEL, "--config", CONFIG, "--input", ints.toString(),
                "--output", output.toString())).isEqualTo(1);
        assertThat(stderr().strip()).isEqualTo("crate infer: " + ints + ": dtype <i8 but <f4 (float32) is required:"
                + " convert with array.astype(numpy.float32)");

        err.reset();
        Path wrongSize = temp.resolve("small.npy");
        Npy.writeFloat32(wrongSize, new int[] {1, 3, 32, 32}, new float[3 * 32 * 32]);
        assertThat(CrateCli.run("inspect", "--model", MODEL, "--config", CONFIG, "--input", wrongSize.toString(),
                "--output", temp.resolve("wb.json").toString())).isEqualTo(1);
        assertThat(stderr().strip()).isEqualTo("crate inspect: " + wrongSize + ": images are [3, 32, 32] but the"
                + " model expects [3, 32, 48] (channels, height, width)");

        err.reset();
        assertThat(CrateCli.run("infer", "--model", MODEL, "--config", CONFIG, "--input", INPUT, "--output",
                output.toString(), "--engine", "warp")).isEqualTo(1);
        assertThat(stderr().strip()).startsWith("crate infer: unknown engine 'warp': known engines are auto, ")
                .contains("onnxruntime").contains("reference");

        err.reset();
        assertThat(CrateCli.run("infer", "--model", MODEL, "--input", INPUT, "--output", output.toString()))
                .isEqualTo(1);
        assertThat(stderr()).contains("a checkpoint needs a config: give --config C.json or --arch");

        err.reset();
        assertThat(CrateCli.run("infer", "--input", INPUT)).isEqualTo(2);
        assertThat(stderr()).contains("Missing required options");
    }

    @Test
    void enginesNamesEachEngineWithAReason() {
        assertThat(CrateCli.run("engines")).isZero();
        assertThat(stdout()).containsPattern("tensorrt\\s+(available|unavailable)\\s+\\S+")
                .containsPattern("onnxruntime\\s+available")
                .containsPattern("fast\\s+available\\s+OpenBLAS")
                .containsPattern("reference\\s+available\\s+pure Java")
                .contains("auto picks: ");
    }

    @Test
    void exportOnnxWritesAGraphThatOnnxRuntimeRuns() throws Exception {
        Path onnx = temp.resolve("model.onnx");
        assertThat(CrateCli.run("export-onnx", "--model", MODEL, "--config", CONFIG, "--output", onnx.toString(),
                "--graph", "reference", "--fp16", "--codes-layers", "0,1")).as(stderr()).isZero();
        assertThat(stdout()).contains("wrote " + onnx + ": reference graph, opset 17").contains("LayerNormalization");
        var model = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(Files.readAllBytes(onnx));
        assertThat(model.getGraph().getOutputList()).extracting(o -> o.getName())
                .containsExactly("logits", "codes_0", "codes_1");

        err.reset();
        assertThat(CrateCli.run("export-onnx", "--model", MODEL, "--config", CONFIG, "--output", onnx.toString(),
                "--codes-layers", "7")).isEqualTo(1);
        assertThat(stderr().strip()).isEqualTo("crate export-onnx: codes layer 7 does not exist: the model has"
                + " layers 0..1");
        err.reset();
        assertThat(CrateCli.run("build-engine", "--onnx", CASE.resolve("input.npy").toString(), "--output",
                temp.resolve("x.plan").toString())).isEqualTo(1);
        assertThat(stderr()).contains("not an ONNX model");
    }

    @Test
    void benchPrintsOneLinePerEngineAndTheRatios() {
        assertThat(CrateCli.run("bench", "--model", MODEL, "--config", CONFIG, "--batch", "2", "--threads", "1",
                "--seconds", "0.3", "--warmup", "0.1", "--engine", "fast", "--compare", "onnxruntime", "--peak"))
                .as(stderr()).isZero();
        assertThat(stdout()).containsPattern("engine=fast model=\\S+ batch=2 threads=1 .*images/s=[0-9.]+"
                        + " ms/image=[0-9.]+ p50_ms=[0-9.]+ p99_ms=[0-9.]+ gflops=[0-9.]+ gc_ms=\\d+")
                .containsPattern("engine=onnxruntime .* graph=reference images/s=")
                .containsPattern("engine=onnxruntime .* graph=fused images/s=")
                .containsPattern("ratio fast/onnxruntime\\(reference graph\\)=[0-9.]+")
                .containsPattern("peak sgemm_gflops=[0-9.]+ engine_real_gflops=[0-9.]+ fraction_of_peak=[0-9.]+");
        err.reset();
        assertThat(CrateCli.run("bench", "--arch", "tiny", "--model", MODEL)).isEqualTo(1);
        assertThat(stderr()).contains("give exactly one of --arch (random weights) or --model");
    }

    @Test
    void benchInterleavedTimesTheEnginesInTurns() {
        assertThat(CrateCli.run("bench", "--model", MODEL, "--config", CONFIG, "--batch", "2", "--threads", "1",
                "--seconds", "0.4", "--warmup", "0.1", "--engine", "fast", "--compare", "onnxruntime",
                "--interleave", "0.1")).as(stderr()).isZero();
        assertThat(stdout()).containsPattern("engine=fast model=\\S+ batch=2 threads=1 .* interleaved=0.1s"
                        + " images/s=[0-9.]+ .* seconds=0.[4-9]")
                .containsPattern("engine=onnxruntime .* interleaved=0.1s graph=reference images/s=[0-9.]+ .*"
                        + " seconds=0.[4-9]")
                .containsPattern("engine=onnxruntime .* interleaved=0.1s graph=fused images/s=")
                .containsPattern("ratio fast/onnxruntime\\(reference graph\\)=[0-9.]+ fast/onnxruntime\\(fused"
                        + " graph\\)=[0-9.]+");
        for (String[] bad : new String[][] {{"--interleave", "1"}, {"--compare", "onnxruntime", "--interleave", "0"},
                {"--compare", "onnxruntime", "--interleave", "1", "--peak"}}) {
            err.reset();
            out.reset();
            String[] args = Stream.concat(Stream.of("bench", "--model", MODEL, "--config", CONFIG), Arrays.stream(bad))
                    .toArray(String[]::new);
            assertThat(CrateCli.run(args)).as(String.join(" ", bad)).isEqualTo(1);
            assertThat(stderr()).contains("--interleave needs --compare onnxruntime");
            assertThat(stdout()).isEmpty();
        }
    }

    @Test
    void benchPipelineRunsTheJobAgainstTheEngineAloneBeforeAndAfter() {
        System.setProperty("crate.bench.warmupRounds", "2");
        try {
            assertThat(CrateCli.run("bench", "--model", MODEL, "--config", CONFIG, "--batch", "4", "--threads", "1",
                    "--seconds", "0.5", "--warmup", "0.1", "--engine", "fast", "--pipeline", "--frames", "60",
                    "--frame-size", "64")).as(stderr()).isZero();
        } finally {
            System.clearProperty("crate.bench.warmupRounds");
        }
        assertThat(stdout()).containsPattern("engine=fast model=\\S+ batch=4 threads=1 .* measured=after-pipeline"
                        + " images/s=[0-9.]+")
                .containsPattern("pipeline model=\\S+ batch=4 threads=1 .* frame=64x64-jpeg codes=on .*"
                        + " images/s=[0-9.]+ engine_images/s=[0-9.]+ \\(before [0-9.]+, after [0-9.]+\\)"
                        + " ratio=[0-9.]+")
                .containsPattern("pipeline latency .* p99_ms=[0-9.]+ bound_ms=[0-9.]+ .*; median transit_ms=[0-9.-]+"
                        + " queue_ms=[0-9.]+ inference_ms=[0-9.]+; slowest 1% transit_ms=[0-9.-]+ queue_ms=[0-9.]+"
                        + " inference_ms=[0-9.]+; mean_batch=[0-9.]+");
        assertThat(stderr()).contains("warm-up jobs over 180 frames each first, until the JIT is quiet (at most 2)")
                .containsPattern("warm-up job 1: 180 frames in [0-9.]+ s, the JIT compiling [0-9]+% of that time");
        err.reset();
        out.reset();
        assertThat(CrateCli.run("bench", "--model", MODEL, "--config", CONFIG, "--pipeline", "--frames", "10"))
                .isEqualTo(1);
        assertThat(stderr()).contains("--frames must be at least 50");
        assertThat(stdout()).doesNotContain("engine=fast model=");
    }

    @Test
    void benchPipelineOnAClusterLeavesNoTopicsBehindAndAnUnreachableOneIsNamed(@TempDir Path temp)
            throws Exception {
        System.setProperty("crate.bench.warmupFrames", "0");
        try (EmbeddedKafkaBroker cluster = EmbeddedKafkaBroker.start(0, temp.resolve("kafka"))) {
            Set<String> before = topics(cluster.bootstrap());
            assertThat(CrateCli.run("bench", "--model", MODEL, "--config", CONFIG, "--batch", "4", "--threads", "1",
                    "--seconds", "0.2", "--warmup", "0.1", "--engine", "fast", "--pipeline", "--frames", "50",
                    "--frame-size", "64", "--bootstrap", cluster.bootstrap())).as(stderr()).isZero();
            assertThat(stdout()).containsPattern("pipeline model=\\S+ .* ratio=[0-9.]+");
            assertThat(stderr()).contains("50 frames queued on crate-bench-");
            assertThat(topicsOnceSettled(cluster.bootstrap(), before)).as("the bench's topics are deleted")
                    .isEqualTo(before);
        } finally {
            System.clearProperty("crate.bench.warmupFrames");
        }
        err.reset();
        out.reset();
        assertThat(CrateCli.run("bench", "--model", MODEL, "--config", CONFIG, "--seconds", "0.2", "--pipeline",
                "--bootstrap", "127.0.0.1:1")).isEqualTo(1);
        assertThat(stderr()).contains("--bootstrap 127.0.0.1:1: no Kafka cluster answers there");
        err.reset();
        assertThat(CrateCli.run("bench", "--model", MODEL, "--config", CONFIG, "--bootstrap", "127.0.0.1:1"))
                .isEqualTo(1);
        assertThat(stderr()).contains("--bootstrap needs --pipeline");
    }

    /** The cluster's topics once they equal {@code expected}, or after 10 s (deletion reaches the broker late). */
    private static Set<String> topicsOnceSettled(String bootstrap, Set<String> expected) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        Set<String> now = topics(bootstrap);
        while (!now.equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            now = topics(bootstrap);
        }
        return now;
    }

    private static Set<String> topics(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            return admin.listTopics().names().get();
        }
    }
}
