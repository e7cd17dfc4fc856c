package ai.crate.ops.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code crate calibrate}: writes its outputs when the data is good, and nothing at all when it is not. */
class CalibrateCliTest {
    private static final String MODEL = "../ops/demo/crate-shapes";

    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @TempDir
    Path temp;

    @Test
    void calibratesTheShapesModelIntoAnOnnxFileWithItsTableAndCache() {
        Path out = temp.resolve("shapes-int8.onnx");
        assertThat(CrateCli.run("calibrate", "--model", MODEL, "--data", "shapes:300:4", "--method", "percentile",
                "--output", out.toString(), "--threads", "2")).as(console.err()).isZero();
        assertThat(out).isNotEmptyFile();
        assertThat(temp.resolve("shapes-int8.calibration.json")).content().contains("\"method\" : \"percentile\"");
        assertThat(temp.resolve("shapes-int8.calibration.cache")).content().startsWith("TRT-101200-");
        assertThat(console.out()).contains("top-1 agreement with FP32 on 60 held-out images", "ONNX Runtime");
    }

    @Test
    void corruptOrEmptyDataFailsNamingItAndWritesNothing() throws Exception {
        Path empty = Files.createDirectories(temp.resolve("empty"));
        Path corrupt = Files.createDirectories(temp.resolve("corrupt"));
        Files.write(corrupt.resolve("frame.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0, 1});
        Path video = Files.writeString(temp.resolve("clip.mp4"), "this is not a video");
        for (Path data : new Path[] {empty, corrupt, video}) {
            Path out = temp.resolve("out-" + data.getFileName());
            assertThat(CrateCli.run("calibrate", "--model", MODEL, "--data", data.toString(), "--output",
                    out.toString())).isEqualTo(1);
            assertThat(console.err()).contains(data.toString());
            assertThat(out).doesNotExist();
        }
        try (Stream<Path> left = Files.list(temp)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("empty", "corrupt",
                    "clip.mp4");
        }
    }

    @Test
    void aBundleOutputNeedsABundleModelAndAnEmptyTarget() throws Exception {
        Path taken = Files.createDirectories(temp.resolve("taken"));
        Files.writeString(taken.resolve("keep.txt"), "mine");
        assertThat(CrateCli.run("calibrate", "--model", MODEL, "--data", "shapes:100", "--output", taken.toString()))
                .isEqualTo(1);
        assertThat(console.err()).contains(taken + ": already exists and is not empty");
        assertThat(taken.resolve("keep.txt")).hasContent("mine");
    }
}
