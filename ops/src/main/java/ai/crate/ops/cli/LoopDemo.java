package ai.crate.ops.cli;

import ai.crate.flink.FineTuneJob;
import ai.crate.flink.FineTuneOptions;
import ai.crate.flink.InferenceJob;
import ai.crate.flink.InferenceOptions;
import ai.crate.ingest.IngestException;
import ai.crate.ingest.IngestSummary;
import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.broker.PipelineTopics;
import ai.crate.ingest.feedback.Feedback;
import ai.crate.ingest.feedback.FeedbackPublisher;
import ai.crate.ingest.video.VideoWriter;
import ai.crate.patchify.shapes.ShapeClass;
import ai.crate.patchify.shapes.ShapesClip;
import ai.crate.patchify.shapes.ShapesDomain;
import ai.crate.runtime.signing.SigningKeys;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code crate demo --loop}: the closed loop live. Cameras stream clips whose look shifts part-way (new palette and
 * background); {@link InferenceJob} serves the bundled model and raises drift; an "operator" labels two frames in
 * three until the new version is live (the labels of the first, unshifted frames keep the old domain in the replay
 * buffer); {@link FineTuneJob} trains a candidate, gates it, signs it, records it in a registry
 * and announces it; the inference job verifies and hot-swaps it; accuracy recovers. Every step is printed as it
 * happens, then accuracy by domain and version. Exits 0 when no frame was lost and the swap won back 20 points.
 */
final class LoopDemo {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FRAMES_PER_SHAPE = 1;

    private final Path bundle;
    private final int cameras;
    private final int standardFrames;
    private final int shiftedFrames;
    private final boolean realtime;

    LoopDemo(Path bundle, int cameras, int standardFrames, int shiftedFrames, boolean realtime) {
        this.bundle = bundle;
        this.cameras = cameras;
        this.standardFrames = standardFrames;
        this.shiftedFrames = shiftedFrames;
        this.realtime = realtime;
    }

    int run() throws Exception {
        Path work = Files.createTempDirectory("crate-demo-loop-");
        say("model " + bundle + ", " + cameras + " cameras x (" + standardFrames + " standard + " + shiftedFrames
                + " shifted frames), work directory " + work);
        List<Path> clips = writeClips(work);
        Path key = SigningKeys.generate(work.resolve("keys"), "release").resolveSibling("release.key");
        say("signing key " + key + "; the inference job trusts " + work.resolve("keys"));
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, work.resolve("kafka"))) {
            broker.createPipelineTopics();
            StreamExecutionEnvironment inferenceEnv = StreamExecutionEnvironment.getExecutionEnvironment();
            InferenceJob.build(inferenceEnv, InferenceOptions.parse("--bootstrap", broker.bootstrap(), "--model-uri",
                    bundle.toString(), "--max-batch", "8", "--max-wait-ms", "30", "--checkpoint-ms", "1000",
                    "--engine-threads", "1", "--group-id", "crate-demo-loop", "--no-codes", "--telemetry-every", "1",
                    "--drift-window", "40",
                    "--trusted-keys", work.resolve("keys").toString()));
            StreamExecutionEnvironment fineTuneEnv = StreamExecutionEnvironment.getExecutionEnvironment();
            FineTuneJob.build(fineTuneEnv, FineTuneOptions.parse("--bootstrap", broker.bootstrap(), "--model-uri",
                    bundle.toString(), "--registry", work.resolve("registry").toString(), "--signing-key",
                    key.toString(), "--regression", "shapes:200:7", "--min-labels", "300", "--every-labels", "500",
                    "--every-minutes", "0", "--threads", "1", "--checkpoint-ms", "1000",
                    "--retention-ms", "120000", "--checkpoint-dir", work.resolve("checkpoints").toUri().toString()));
            JobClient inference = inferenceEnv.executeAsync("crate-demo-loop-inference");
            JobClient fineTune = fineTuneEnv.executeAsync("crate-demo-loop-fine-tune");
            say("Kafka at " + broker.bootstrap() + "; InferenceJob and FineTuneJob running (MiniClusters); registry "
                    + work.resolve("registry"));
            Thread.sleep(3000);
            List<CompletableFuture<IngestSummary>> ingests = new ArrayList<>();
            for (int c = 0; c < cameras; c++) {
                ingests.add(DemoCommand.ingest(broker.bootstrap(), clips.get(c), "camera-" + (c + 1), work,
                        realtime));
            }
            Tally tally = watch(broker.bootstrap(), ingests);
            inference.cancel().get();
            fineTune.cancel().get();
            return report(tally);
        }
    }

    /** Clips whose frames {@code standardFrames..} are shown as the shifted domain, with their ground truth. */
    private List<Path> writeClips(Path work) throws IngestException {
        List<Path> clips = new ArrayList<>();
        List<String> names = ShapeClass.labels();
        for (int c = 0; c < cameras; c++) {
            ShapesClip clip = new ShapesClip(300 + c, 256, FRAMES_PER_SHAPE);
            Path file = work.resolve("camera-" + (c + 1) + ".mp4");
            List<String> labels = new ArrayList<>();
            try (VideoWriter writer = new VideoWriter(file, 256, 256, 25)) {
                for (int i = 0; i < standardFrames + shiftedFrames; i++) {
                    ShapesDomain domain = i < standardFrames ? ShapesDomain.STANDARD : ShapesDomain.SHIFTED;
                    writer.write(domain.apply(clip.frame(i)));
                    labels.add(names.get(clip.label(i)));
                }
            }
            try {
                Files.write(Path.of(file + ".labels.txt"), labels, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IngestException("cannot write the ground truth of " + file, e);
            }
            clips.add(file);
        }
        say("wrote " + cameras + " H.264 clips; their look shifts at frame " + standardFrames);
        return clips;
    }

    /** Prints predictions' accuracy, drift, training and fleet events as they come; labels frames until the swap. */
    private Tally watch(String bootstrap, List<CompletableFuture<IngestSummary>> ingests) throws Exception {
        Tally tally = new Tally();
        long expected = (long) cameras * (standardFrames + shiftedFrames);
        long deadline = 0;
        long lastLine = 0;
        List<Feedback> labels = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.GROUP_ID_CONFIG,
                "crate-demo-loop-view", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(PipelineTopics.PREDICTIONS, PipelineTopics.DRIFT, PipelineTopics.TRAINING,
                    PipelineTopics.FLEET_STATUS));
            while (tally.predictions < expected) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    JsonNode value = JSON.readTree(new String(r.value(), StandardCharsets.UTF_8));
                    switch (r.topic()) {
                        case PipelineTopics.PREDICTIONS -> {
                            Feedback label = tally.prediction(value, standardFrames);
                            if (label != null && tally.swappedTo == null) {
                                labels.add(label);
                            }
                        }
                        case PipelineTopics.DRIFT -> say(String.format(Locale.ROOT, "%s on %s: white-box distance"
                                        + " %.2f against threshold %.2f (%s of layer %d), model version %s",
                                value.path("event").asText().toUpperCase(Locale.ROOT),
                                value.path("camera_id").asText(), value.path("distance").asDouble(),
                                value.path("threshold").asDouble(), value.path("figure").asText(),
                                value.path("layer").asInt(), value.path("model").path("version").asText()));
                        case PipelineTopics.TRAINING -> training(value, tally);
                        default -> fleet(value, tally);
                    }
                }
                if (!labels.isEmpty()) {
                    FeedbackPublisher.publish(bootstrap, PipelineTopics.FEEDBACK, labels);
                    tally.labelsSent += labels.size();
                    labels.clear();
                }
                if (System.nanoTime() - lastLine > 1_000_000_000L && tally.predictions > 0) {
                    System.out.println(tally.line(expected));
                    lastLine = System.nanoTime();
                }
                if (deadline == 0 && ingests.stream().allMatch(CompletableFuture::isDone)) {
                    deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                }
                if (deadline != 0 && System.nanoTime() > deadline) {
                    say("gave up waiting for the last predictions after 90 s");
                    break;
                }
            }
        }
        for (CompletableFuture<IngestSummary> ingest : ingests) {
            tally.framesIn += ingest.join().sent();
        }
        return tally;
    }

    private static void training(JsonNode event, Tally tally) {
        String type = event.path("event").asText();
        switch (type) {
            case "fine-tune-started" -> say("FINE-TUNE of version " + event.path("parent_version").asText()
                    + " into version " + event.path("version").asText() + " on " + event.path("frames").asInt()
                    + " labelled frames; trigger: " + event.path("trigger").asText());
            case "candidate-accepted" -> say("GATE ACCEPTED version " + event.path("version").asText() + ", signed,"
                    + " promoted in the registry and announced: " + event.path("reason").asText());
            case "candidate-refused" -> say("GATE REFUSED version " + event.path("version").asText()
                    + "; production stays " + event.path("production_version").asText() + ": "
                    + event.path("reason").asText());
            default -> say(type.toUpperCase(Locale.ROOT) + ": " + event.path("reason").asText());
        }
        if (type.equals("candidate-accepted")) {
            tally.gate = event.path("reason").asText();
        }
    }

    private static void fleet(JsonNode event, Tally tally) {
        if (event.path("event").asText().equals("model-activated")) {
            tally.swappedTo = event.path("model").path("version").asText();
            say("HOT SWAP: the inference job verified the signature and hashes and now serves version "
                    + tally.swappedTo + " (was " + event.path("previous").path("version").asText() + ")");
        } else {
            say("REFUSED by the inference job: " + event.path("reason").asText());
        }
    }

    private int report(Tally tally) {
        System.out.println();
        System.out.println("accuracy by domain and serving version:");
        tally.groups.forEach((group, counts) -> System.out.printf(Locale.ROOT, "  %-28s %5.1f%%  (%d frames)%n",
                group, 100.0 * counts[0] / counts[1], counts[1]));
        double before = tally.accuracy("shifted, version 1");
        double after = tally.swappedTo == null ? Double.NaN : tally.accuracy("shifted, version " + tally.swappedTo);
        System.out.printf(Locale.ROOT, "%nsummary frames_in=%d predictions_out=%d labels_sent=%d swapped_to=%s"
                        + " shifted_accuracy_before=%.3f shifted_accuracy_after=%.3f gain_points=%.1f%n",
                tally.framesIn, tally.predictions, tally.labelsSent, tally.swappedTo, before, after,
                100 * (after - before));
        if (tally.predictions != tally.framesIn) {
            say("FAILED: " + tally.framesIn + " frames in, " + tally.predictions + " predictions out");
            return 1;
        }
        if (!(after - before >= 0.20)) {
            say("FAILED: the loop did not win back 20 points on the shifted frames (more shifted frames give the"
                    + " fine-tune more labels and the new version more frames to show: --frames)");
            return 1;
        }
        return 0;
    }

    private static void say(String line) {
        System.out.println("crate demo --loop: " + line);
        System.out.flush();
    }

    /** Counts by domain and version, the rolling window for the live line, and what the loop did. */
    private static final class Tally {
        final Map<String, long[]> groups = new LinkedHashMap<>();
        final boolean[] window = new boolean[50];
        long predictions;
        long framesIn;
        long labelsSent;
        String swappedTo;
        String gate;
        String lastGroup = "";

        /** Counts a prediction; returns the operator's label for two frames in three, else null. */
        Feedback prediction(JsonNode p, int standardFrames) {
            String truth = p.path("ground_truth").asText();
            boolean correct = p.path("top_k").path(0).path("label").asText().equals(truth);
            long seq = p.path("seq").asLong();
            boolean shifted = seq >= standardFrames;
            lastGroup = (shifted ? "shifted" : "standard") + ", version " + p.path("model").path("version").asText();
            long[] counts = groups.computeIfAbsent(lastGroup, g -> new long[2]);
            counts[0] += correct ? 1 : 0;
            counts[1]++;
            window[(int) (predictions % window.length)] = correct;
            predictions++;
            return seq % 3 != 0 ? new Feedback(p.path("camera_id").asText(), seq, truth, "demo-operator",
                    System.currentTimeMillis()) : null;
        }

        double accuracy(String group) {
            long[] counts = groups.get(group);
            return counts == null ? Double.NaN : (double) counts[0] / counts[1];
        }

        String line(long expected) {
            int n = (int) Math.min(predictions, window.length);
            int correct = 0;
            for (int i = 0; i < n; i++) {
                correct += window[i] ? 1 : 0;
            }
            return String.format(Locale.ROOT, "  %5d/%d predicted  now: %-20s  accuracy (last %d) %5.1f%%"
                    + "  labels sent %d", predictions, expected, lastGroup, n, 100.0 * correct / n, labelsSent);
        }
    }
}
