package ai.crate.ingest;

import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.proto.Frame;
import ai.crate.ingest.source.SourceSettings;
import ai.crate.patchify.EncodedFrame;
import ai.crate.patchify.FrameFormat;
import ai.crate.patchify.JavaFrameDecoder;
import org.apache.kafka.clients.admin.NewTopic;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Real encoded videos through ingest into a real (embedded) broker, checked by reading the topic back with a plain
 * consumer: every decoded frame exactly once, in order, sequence numbers contiguous; damaged files publish what came
 * before the damage and then fail.
 */
class VideoIngestITCase {
    @TempDir
    static Path work;
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = EmbeddedKafkaBroker.start(0, null);
        broker.createPipelineTopics();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void h264Mp4IsPublishedCompletelyInOrderAndNumberingSurvivesARestart() throws Exception {
        Path video = TestVideos.h264Mp4(work.resolve("clip.mp4"), 320, 240, 60);
        String camera = "cam-h264-" + UUID.randomUUID();
        String topic = freshTopic();
        IngestSummary first = ingest(video, camera, topic, 640);
        IngestSummary second = ingest(video, camera, topic, 640);

        int decoded = countFrames(video);
        assertThat(first.read()).isEqualTo(decoded);
        assertThat(first.sent()).isEqualTo(decoded);
        assertThat(first.dropped()).isZero();
        assertThat(second.sent()).isEqualTo(decoded);
        List<Frame> frames = FrameTopic.read(broker.bootstrap(), topic, camera, Duration.ofSeconds(2));
        assertThat(frames).hasSize(2 * decoded);
        assertContiguousFrom(frames, 0);
        assertThat(frames.get(0).getWidth()).isEqualTo(320);
        assertStreamTimesIncrease(frames.subList(0, decoded));
        assertDecodableJpeg(frames.get(decoded - 1));
        assertThat(frames.get(0).getSourceUri()).isEqualTo(video.toString());
    }

    @Test
    void mjpegAviIsPublishedCompletelyWithItsLabel() throws Exception {
        Path video = TestVideos.mjpegAvi(work.resolve("clip.avi"), 640, 480, 50);
        String camera = "cam-mjpeg";
        String topic = freshTopic();
        IngestRequest request = new IngestRequest(
                new SourceSettings(video.toString(), 640, Duration.ofSeconds(5), Duration.ofSeconds(5), false),
                broker.bootstrap(), topic, new IngestSettings(camera, 0, 0, false, 8, FrameLabels.constant("block")),
                FrameFormat.JPEG, 90,
                work.resolve("state"), Map.of());
        IngestSummary summary = new Ingestion(request).run(IngestProgress.NONE);
        List<Frame> frames = FrameTopic.read(broker.bootstrap(), topic, camera, Duration.ofSeconds(2));
        assertThat(frames).allSatisfy(f -> assertThat(f.getLabel()).isEqualTo("block"));
        assertThat(summary.sent()).isEqualTo(50);
        assertThat(frames).hasSize(50);
        assertContiguousFrom(frames, 0);
        assertStreamTimesIncrease(frames);
    }

    @Test
    void fullHdIsDownscaledToTheMaximumSide() throws Exception {
        Path video = TestVideos.h264Mp4(work.resolve("fullhd.mp4"), 1920, 1080, 20);
        String camera = "cam-1080p";
        String topic = freshTopic();
        ingest(video, camera, topic, 640);
        List<Frame> frames = FrameTopic.read(broker.bootstrap(), topic, camera, Duration.ofSeconds(2));
        assertThat(frames).hasSize(20);
        assertContiguousFrom(frames, 0);
        assertThat(frames.get(0).getWidth()).isEqualTo(640);
        assertThat(frames.get(0).getHeight()).isEqualTo(360);
        assertDecodableJpeg(frames.get(19));
    }

    @Test
    void truncatedMp4PublishesTheFramesBeforeTheDamageThenFails() throws Exception {
        Path whole = TestVideos.h264Mp4(work.resolve("whole.mp4"), 320, 240, 100);
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(work.resolve("cut.mp4"), Arrays.copyOf(bytes, bytes.length * 6 / 10));
        String camera = "cam-cut-mp4";
        String topic = freshTopic();
        assertThatThrownBy(() -> ingest(cut, camera, topic, 640))
                .isInstanceOf(IngestFailedException.class)
                .hasMessageContaining("truncated or damaged")
                .satisfies(e -> {
                    IngestSummary summary = ((IngestFailedException) e).summary();
                    assertThat(summary.sent()).isBetween(1L, 99L);
                    assertThat(summary.read()).isEqualTo(summary.sent());
                });
        List<Frame> frames = FrameTopic.read(broker.bootstrap(), topic, camera, Duration.ofSeconds(2));
        assertThat(frames).isNotEmpty().hasSizeLessThan(100);
        assertContiguousFrom(frames, 0);
    }

    @Test
    void truncatedAviPublishesTheFramesBeforeTheDamageThenFails() throws Exception {
        Path whole = TestVideos.mjpegAvi(work.resolve("whole.avi"), 320, 240, 40);
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(work.resolve("cut.avi"), Arrays.copyOf(bytes, bytes.length / 2));
        String camera = "cam-cut-avi";
        String topic = freshTopic();
        assertThatThrownBy(() -> ingest(cut, camera, topic, 640)).isInstanceOf(IngestFailedException.class)
                .hasMessageContaining(cut.toString());
        List<Frame> frames = FrameTopic.read(broker.bootstrap(), topic, camera, Duration.ofSeconds(2));
        assertThat(frames).isNotEmpty().hasSizeLessThan(40);
        assertContiguousFrom(frames, 0);
    }

    @Test
    void missingFileFailsWithItsName() {
        Path missing = work.resolve("nope.mp4");
        assertThatThrownBy(() -> ingest(missing, "cam-missing", "frames", 640))
                .isInstanceOf(IngestException.class).hasMessageContaining(missing + " does not exist");
    }

    @Test
    void imageDirectoryIsPublishedInNameOrder() throws Exception {
        Path directory = Files.createDirectories(work.resolve("images"));
        Path video = TestVideos.mjpegAvi(work.resolve("for-images.avi"), 160, 120, 5);
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(video.toFile());
             org.bytedeco.javacv.OpenCVFrameConverter.ToMat converter = new org.bytedeco.javacv.OpenCVFrameConverter.ToMat()) {
            grabber.start();
            for (int i = 0; i < 5; i++) {
                org.bytedeco.opencv.global.opencv_imgcodecs.imwrite(directory.resolve("img-" + i + ".jpg").toString(),
                        converter.convert(grabber.grabImage()));
            }
            grabber.stop();
        }
        String camera = "cam-dir";
        String topic = freshTopic();
        IngestSummary summary = ingest(directory, camera, topic, 640);
        assertThat(summary.sent()).isEqualTo(5);
        List<Frame> frames = FrameTopic.read(broker.bootstrap(), topic, camera, Duration.ofSeconds(2));
        assertContiguousFrom(frames, 0);
        assertThat(frames.get(2).getData().toByteArray())
                .isEqualTo(Files.readAllBytes(directory.resolve("img-2.jpg")));
    }

    private static String freshTopic() throws Exception {
        String name = "frames-" + UUID.randomUUID();
        broker.createTopics(List.of(new NewTopic(name, 2, (short) 1)
                .configs(Map.of("max.message.bytes", Integer.toString(16 * 1024 * 1024)))));
        return name;
    }

    private static IngestSummary ingest(Path source, String camera, String topic, int maxSide) throws Exception {
        IngestRequest request = new IngestRequest(
                new SourceSettings(source.toString(), maxSide, Duration.ofSeconds(5), Duration.ofSeconds(5), false),
                broker.bootstrap(), topic, IngestSettings.of(camera), FrameFormat.JPEG, 90, work.resolve("state"),
                Map.of());
        return new Ingestion(request).run(IngestProgress.NONE);
    }

    static int countFrames(Path video) throws Exception {
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(video.toFile())) {
            grabber.start();
            int n = 0;
            while (grabber.grabImage() != null) {
                n++;
            }
            grabber.stop();
            return n;
        }
    }

    static void assertContiguousFrom(List<Frame> frames, long first) {
        for (int i = 0; i < frames.size(); i++) {
            assertThat(frames.get(i).getSeq()).as("seq of record %d", i).isEqualTo(first + i);
        }
    }

    private static void assertStreamTimesIncrease(List<Frame> frames) {
        for (int i = 1; i < frames.size(); i++) {
            assertThat(frames.get(i).getStreamTimeUs()).isGreaterThan(frames.get(i - 1).getStreamTimeUs());
            assertThat(frames.get(i).getCaptureTimeUs()).isGreaterThan(frames.get(i - 1).getCaptureTimeUs());
        }
    }

    private static void assertDecodableJpeg(Frame frame) throws Exception {
        EncodedFrame image = FrameRecords.image(frame);
        try (JavaFrameDecoder decoder = new JavaFrameDecoder()) {
            var decoded = decoder.decode(image);
            assertThat(decoded.width()).isEqualTo(frame.getWidth());
            assertThat(decoded.height()).isEqualTo(frame.getHeight());
        }
    }
}
