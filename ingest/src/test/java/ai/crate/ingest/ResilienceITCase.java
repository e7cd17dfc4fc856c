package ai.crate.ingest;

import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.broker.PipelineTopics;
import ai.crate.ingest.proto.Frame;
import ai.crate.ingest.source.SourceSettings;
import ai.crate.patchify.FrameFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Outages: a broker that is not there yet or restarts mid-run (files lose nothing, live sources drop and recover), a
 * network stream served by a local FFmpeg that stops and comes back, and a URL that never answers.
 */
class ResilienceITCase {
    private static final Path FFMPEG = Path.of("/usr/bin/ffmpeg");
    @TempDir
    Path work;

    @Test
    @Timeout(120)
    void fileSourceWaitsForTheBrokerAndLosesNothingWhenItRestarts() throws Exception {
        Path video = TestVideos.h264Mp4(work.resolve("clip.mp4"), 320, 240, 100);
        int port = freePort();
        Path data = work.resolve("kafka");
        IngestRequest request = request(video.toString(), "127.0.0.1:" + port, "cam-outage", true);
        CompletableFuture<IngestSummary> run = runAsync(request);

        Thread.sleep(2_000);
        assertThat(run).isNotDone();
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(port, data);
        broker.createPipelineTopics();
        Thread.sleep(1_500);
        broker.close();
        Thread.sleep(2_000);
        broker = EmbeddedKafkaBroker.start(port, data);
        try {
            IngestSummary summary = run.get(60, TimeUnit.SECONDS);
            assertThat(summary.read()).isEqualTo(100);
            assertThat(summary.sent()).isEqualTo(100);
            assertThat(summary.dropped()).isZero();
            List<Frame> frames = FrameTopic.read(broker.bootstrap(), PipelineTopics.FRAMES, "cam-outage",
                    Duration.ofSeconds(2));
            assertThat(frames).hasSize(100);
            VideoIngestITCase.assertContiguousFrom(frames, 0);
        } finally {
            broker.close();
        }
    }

    @Test
    @Timeout(120)
    void liveStreamSurvivesTheServerStoppingAndRestarting() throws Exception {
        assumeTrue(Files.isExecutable(FFMPEG), "needs Debian's ffmpeg (apt-get install ffmpeg) to serve a stream");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null)) {
            broker.createPipelineTopics();
            int port = freePort();
            String url = "http://127.0.0.1:" + port + "/live.ts";
            Process first = serve(url, 3);
            Thread.sleep(500);
            IngestRequest request = new IngestRequest(
                    new SourceSettings(url, 640, Duration.ofSeconds(10), Duration.ofSeconds(20), false),
                    broker.bootstrap(), PipelineTopics.FRAMES,
                    new IngestSettings("cam-live", 0, 110, false, 8, FrameLabels.none()),
                    FrameFormat.JPEG, 85,
                    work.resolve("state"), Map.of());
            CompletableFuture<IngestSummary> run = runAsync(request);
            first.waitFor(20, TimeUnit.SECONDS);
            Thread.sleep(1_000);
            Process second = serve(url, 6);
            try {
                IngestSummary summary = run.get(60, TimeUnit.SECONDS);
                assertThat(summary.reconnects()).isGreaterThanOrEqualTo(1);
                assertThat(summary.downtimeSeconds()).isGreaterThan(0.5);
                assertThat(summary.read()).isEqualTo(110);
                assertThat(summary.sent() + summary.dropped()).isEqualTo(110);
                List<Frame> frames = FrameTopic.read(broker.bootstrap(), PipelineTopics.FRAMES, "cam-live",
                        Duration.ofSeconds(2));
                assertThat((long) frames.size()).isEqualTo(summary.sent());
                assertIncreasing(frames);
            } finally {
                second.destroyForcibly();
            }
        }
    }

    @Test
    @Timeout(120)
    void liveStreamDropsOldestWhileTheBrokerIsAwayAndRecovers() throws Exception {
        assumeTrue(Files.isExecutable(FFMPEG), "needs Debian's ffmpeg (apt-get install ffmpeg) to serve a stream");
        int kafkaPort = freePort();
        Path data = work.resolve("kafka");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(kafkaPort, data);
        broker.createPipelineTopics();
        int port = freePort();
        String url = "http://127.0.0.1:" + port + "/live.ts";
        Process server = serve(url, 30);
        try {
            Thread.sleep(500);
            IngestRequest request = new IngestRequest(
                    new SourceSettings(url, 640, Duration.ofSeconds(3), Duration.ofSeconds(20), false),
                    broker.bootstrap(), PipelineTopics.FRAMES,
                    new IngestSettings("cam-live-outage", 0, 250, false, 8, FrameLabels.none()),
                    FrameFormat.JPEG, 85,
                    work.resolve("state"), Map.of());
            CompletableFuture<IngestSummary> run = runAsync(request);
            Thread.sleep(2_000);
            broker.close();
            Thread.sleep(4_000);
            broker = EmbeddedKafkaBroker.start(kafkaPort, data);
            IngestSummary summary = run.get(60, TimeUnit.SECONDS);
            assertThat(summary.read()).isEqualTo(250);
            assertThat(summary.dropped()).isPositive();
            assertThat(summary.sent() + summary.dropped()).isEqualTo(250);
            List<Frame> frames = FrameTopic.read(broker.bootstrap(), PipelineTopics.FRAMES, "cam-live-outage",
                    Duration.ofSeconds(2));
            assertThat((long) frames.size()).isEqualTo(summary.sent());
            assertIncreasing(frames);
            assertThat(frames.get(frames.size() - 1).getSeq()).isEqualTo(249);
        } finally {
            server.destroyForcibly();
            broker.close();
        }
    }

    @Test
    @Timeout(60)
    void unreachableUrlFailsWithinTheTimeout() throws Exception {
        String url = "http://127.0.0.1:" + freePort() + "/nothing.ts";
        IngestRequest request = new IngestRequest(
                new SourceSettings(url, 640, Duration.ofSeconds(2), Duration.ofSeconds(2), false),
                "127.0.0.1:9", PipelineTopics.FRAMES, IngestSettings.of("cam-unreachable"), FrameFormat.JPEG, 85,
                work.resolve("state"), Map.of());
        long started = System.nanoTime();
        assertThatThrownBy(() -> new Ingestion(request).run(IngestProgress.NONE))
                .isInstanceOf(IngestException.class)
                .hasMessageContaining("cannot open " + url + " within 2000 ms");
        assertThat((System.nanoTime() - started) / 1e9).isLessThan(6.0);
    }

    private IngestRequest request(String source, String bootstrap, String camera, boolean realtime) {
        return new IngestRequest(new SourceSettings(source, 640, Duration.ofSeconds(5), Duration.ofSeconds(5), false),
                bootstrap, PipelineTopics.FRAMES,
                new IngestSettings(camera, 0, 0, realtime, 8, FrameLabels.none()),
                FrameFormat.JPEG, 85, work.resolve("state"), Map.of());
    }

    private static CompletableFuture<IngestSummary> runAsync(IngestRequest request) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new Ingestion(request).run(IngestProgress.NONE);
            } catch (IngestException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static Process serve(String url, int seconds) throws IOException {
        return new ProcessBuilder(FFMPEG.toString(), "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi",
                "-i", "testsrc2=size=320x240:rate=25", "-t", Integer.toString(seconds), "-c:v", "libx264",
                "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-f", "mpegts", "-listen", "1", url)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static void assertIncreasing(List<Frame> frames) {
        for (int i = 1; i < frames.size(); i++) {
            assertThat(frames.get(i).getSeq()).isGreaterThan(frames.get(i - 1).getSeq());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
