package ai.crate.ops.cli;

import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code crate ingest} end to end against an embedded broker: the summary line on success, the summary and a one-line
 * error with exit 1 on a damaged file, and clear errors for bad options.
 */
class IngestCliITCase {
    @TempDir
    Path temp;
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    void ingestsADirectoryOfImagesAndEndsWithTheSummaryLine() throws Exception {
        Path images = Files.createDirectories(temp.resolve("images"));
        for (int i = 0; i < 3; i++) {
            Files.copy(Path.of("../patchify/src/test/resources/photos/coffee.jpg"), images.resolve(i + ".jpg"));
        }
        Files.write(images.resolve("9.jpg"), new byte[]{1, 2, 3});
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null)) {
            broker.createPipelineTopics();
            int ok = CrateCli.run("ingest", "--source", images.resolve("0.jpg").getParent().toString(),
                    "--bootstrap", broker.bootstrap(), "--camera-id", "cli-cam", "--state-dir",
                    temp.resolve("state").toString(), "--max-frames", "2", "--quiet");
            assertThat(ok).isZero();
            assertThat(console.out())
                    .contains("frames_read=2 frames_sent=2 frames_dropped=0");

            console.resetOut();
            assertThat(CrateCli.run("tail", "frames", "--bootstrap", broker.bootstrap(), "--from-beginning",
                    "--camera", "cli-cam", "--max", "2", "--idle-exit", "10")).isZero();
            assertThat(console.out()).contains("cli-cam frame 0 ").contains("cli-cam frame 1 ")
                    .contains("JPEG");

            console.resetOut();
            int damaged = CrateCli.run("ingest", "--source", images.toString(), "--bootstrap", broker.bootstrap(),
                    "--camera-id", "cli-cam-2", "--state-dir", temp.resolve("state").toString(), "--quiet");
            assertThat(damaged).isEqualTo(1);
            assertThat(console.out()).contains("frames_read=3 frames_sent=3 frames_dropped=0");
            assertThat(console.err())
                    .contains("crate ingest: " + images.resolve("9.jpg") + " is not an image OpenCV can decode");
        }
    }

    @Test
    void badOptionsAreNamed() {
        assertThat(CrateCli.run("ingest", "--source", temp.resolve("missing.mp4").toString(), "--bootstrap",
                "127.0.0.1:9", "--camera-id", "c", "--state-dir", temp.toString())).isEqualTo(1);
        assertThat(console.err()).contains("missing.mp4 does not exist");
        assertThat(CrateCli.run("ingest", "--source", "x.mp4", "--bootstrap", "127.0.0.1:9", "--camera-id", "c",
                "--encoding", "webp")).isEqualTo(1);
        assertThat(console.err()).contains("unknown frame format 'webp'");
        assertThat(CrateCli.run("ingest", "--source", "x.mp4", "--bootstrap", "127.0.0.1:9", "--camera-id", " ",
                "--state-dir", temp.toString())).isEqualTo(1);
        assertThat(console.err()).contains("a camera id is required");
        assertThat(CrateCli.run("ingest", "--source", "gopher://host/x", "--bootstrap", "127.0.0.1:9",
                "--camera-id", "c", "--state-dir", temp.toString())).isEqualTo(1);
        assertThat(console.err()).contains("no frame source handles 'gopher://host/x'");
        assertThat(CrateCli.run("tail", "models", "--bootstrap", "127.0.0.1:9")).isEqualTo(1);
        assertThat(console.err()).contains("tail decodes predictions, sparse-codes, frames-dlq, frames, fleet-status, drift,"
                + " training, feedback");
        assertThat(CrateCli.run("broker", "--port", "70000")).isEqualTo(1);
        assertThat(console.err()).contains("broker port must be between 0 and 65535");
    }
}
