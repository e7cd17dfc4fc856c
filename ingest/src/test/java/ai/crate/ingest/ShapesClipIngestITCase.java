package ai.crate.ingest;

import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.proto.Frame;
import ai.crate.ingest.source.SourceSettings;
import ai.crate.ingest.video.VideoWriter;
import ai.crate.patchify.FrameFormat;
import ai.crate.patchify.shapes.ShapeClass;
import ai.crate.patchify.shapes.ShapesClip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A generated clip of moving shapes, written with FFmpeg and ingested with its per-frame ground truth. */
class ShapesClipIngestITCase {
    @TempDir
    Path work;

    @Test
    void everyFrameCarriesItsGroundTruth() throws Exception {
        ShapesClip clip = new ShapesClip(5, 128, 10);
        Path video = work.resolve("clip.mp4");
        List<String> labels = new ArrayList<>();
        try (VideoWriter writer = new VideoWriter(video, 128, 128, 25)) {
            for (int i = 0; i < 40; i++) {
                writer.write(clip.frame(i));
                labels.add(ShapeClass.labels().get(clip.label(i)));
            }
        }
        Path labelFile = Files.write(work.resolve("clip.mp4.labels.txt"), labels, StandardCharsets.UTF_8);
        assertThat(labels.subList(0, 10)).containsOnly(labels.get(0));

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null)) {
            broker.createPipelineTopics();
            IngestRequest request = new IngestRequest(SourceSettings.of(video.toString()), broker.bootstrap(),
                    "frames", new IngestSettings("clip", 0, 0, false, 8, FrameLabels.read(labelFile)),
                    FrameFormat.JPEG, 90, work.resolve("state"), Map.of());
            IngestSummary summary = new Ingestion(request).run(IngestProgress.NONE);
            assertThat(summary.sent()).isEqualTo(40);
            List<Frame> frames = FrameTopic.read(broker.bootstrap(), "frames", "clip", Duration.ofSeconds(2));
            assertThat(frames).hasSize(40);
            for (Frame frame : frames) {
                assertThat(frame.getLabel()).isEqualTo(labels.get((int) frame.getSeq()));
            }
        }
    }

    @Test
    void writerRefusesFramesOfAnotherSizeAndUnknownContainers() throws Exception {
        assertThatThrownBy(() -> new VideoWriter(work.resolve("x.webm"), 64, 64, 25))
                .hasMessageContaining("write .mp4 (H.264) or .avi (MJPEG)");
        assertThatThrownBy(() -> new VideoWriter(work.resolve("x.mp4"), 63, 64, 25))
                .hasMessageContaining("even width and height");
        try (VideoWriter writer = new VideoWriter(work.resolve("y.avi"), 64, 64, 25)) {
            assertThatThrownBy(() -> writer.write(new ShapesClip(1, 32, 5).frame(0)))
                    .hasMessageContaining("frame of 32x32 in a 64x64 video");
            writer.write(new ShapesClip(1, 64, 5).frame(0));
        }
    }
}
