package ai.crate.calibration;

import ai.crate.ingest.FrameRecords;
import ai.crate.ingest.IngestException;
import ai.crate.ingest.source.FrameSource;
import ai.crate.ingest.source.FrameSources;
import ai.crate.ingest.source.SourceFrame;
import ai.crate.ingest.source.SourceSettings;
import ai.crate.patchify.EncodedFrame;
import ai.crate.patchify.FastPreprocessor;
import ai.crate.patchify.FrameFormat;
import ai.crate.patchify.PatchifyException;
import ai.crate.patchify.Patchifier;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.shapes.ShapesDataset;
import ai.crate.runtime.npy.Npy;
import ai.crate.runtime.npy.NpyArray;
import ai.crate.runtime.npy.NpyException;
import ai.crate.runtime.npy.NpyType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.IntConsumer;
import java.util.stream.Stream;

/**
 * Reads a calibration set, preprocessed for the model, from one of: a video file or stream URI (frames spread over
 * it), a directory of images (searched recursively), a float32 {@code [N, C, H, W]} {@code .npy}, frames of a Kafka
 * topic ({@code kafka://HOST:PORT/TOPIC}, from its beginning) or the generated {@code shapes[:N[:SEED]]}. Everything
 * is read and checked before anything is written: an empty or damaged source fails here, with the input named.
 */
public final class CalibrationSources {
    private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);

    private CalibrationSources() {
    }

    /**
     * Reads at most {@code limit} images of {@code source}; {@code progress} hears the count so far.
     *
     * @throws CalibrationException when the source does not exist, holds no images or holds a damaged one
     */
    public static CalibrationImages read(String source, PreprocessSpec spec, int limit, IntConsumer progress)
            throws CalibrationException {
        if (limit < 1) {
            throw new IllegalArgumentException("the image limit must be >= 1, got " + limit);
        }
        if (source.startsWith("kafka://")) {
            return kafka(source, spec, limit, progress);
        }
        if (source.startsWith("shapes")) {
            return shapes(source, spec, limit);
        }
        if (source.contains("://")) {
            return video(source, spec, limit, progress);
        }
        Path path = Path.of(source);
        if (!Files.exists(path)) {
            throw new CalibrationException(source + ": no such file or directory");
        }
        if (Files.isDirectory(path)) {
            return directory(path, spec, limit, progress);
        }
        if (source.toLowerCase(Locale.ROOT).endsWith(".npy")) {
            return npy(path, spec, limit);
        }
        return video(source, spec, limit, progress);
    }

    private static CalibrationImages shapes(String source, PreprocessSpec spec, int limit) throws CalibrationException {
        ShapesDataset set;
        try {
            set = ShapesDataset.parse(source, 2 * Math.max(spec.cropWidth(), spec.cropHeight()), spec);
        } catch (IllegalArgumentException e) {
            throw new CalibrationException(e.getMessage());
        }
        int count = Math.min(limit, set.size());
        float[] images = new float[count * set.imageFloats()];
        for (int i = 0; i < count; i++) {
            set.image(i, images, i * set.imageFloats());
        }
        return images(images, count, spec, set.describe());
    }

    private static CalibrationImages npy(Path file, PreprocessSpec spec, int limit) throws CalibrationException {
        NpyArray array;
        float[] all;
        try {
            array = Npy.read(file).requireType(NpyType.FLOAT32).requireRank(4, "[images, channels, height, width]");
            all = array.toFloats();
        } catch (NpyException e) {
            throw new CalibrationException(e.getMessage());
        }
        int[] shape = array.shape();
        if (shape[1] != 3 || shape[2] != spec.cropHeight() || shape[3] != spec.cropWidth()) {
            throw new CalibrationException(file + ": images are [" + shape[1] + ", " + shape[2] + ", " + shape[3]
                    + "] but the model takes [3, " + spec.cropHeight() + ", " + spec.cropWidth() + "]");
        }
        if (shape[0] == 0) {
            throw new CalibrationException(file + ": holds no images");
        }
        int per = spec.imageFloats();
        int count = Math.min(limit, shape[0]);
        for (int i = 0; i < count * per; i++) {
            if (!Float.isFinite(all[i])) {
                throw new CalibrationException(file + ": image " + i / per + " holds " + all[i]
                        + "; calibration images must be finite");
            }
        }
        return images(java.util.Arrays.copyOf(all, count * per), count, spec, file.toString());
    }

    private static CalibrationImages directory(Path root, PreprocessSpec spec, int limit, IntConsumer progress)
            throws CalibrationException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).filter(CalibrationSources::isImage).sorted().toList();
        } catch (IOException e) {
            throw new CalibrationException(root + ": cannot list (" + e.getMessage() + ")");
        }
        if (files.isEmpty()) {
            throw new CalibrationException(root + ": holds no .jpg, .jpeg or .png images");
        }
        List<Path> chosen = spread(files, limit);
        float[] images = new float[chosen.size() * spec.imageFloats()];
        try (Patchifier patchifier = Patchifier.fast(spec)) {
            for (int i = 0; i < chosen.size(); i++) {
                Path file = chosen.get(i);
                FrameFormat format = file.toString().toLowerCase(Locale.ROOT).endsWith(".png") ? FrameFormat.PNG
                        : FrameFormat.JPEG;
                try {
                    patchifier.patchify(EncodedFrame.compressed(format, Files.readAllBytes(file)), images,
                            i * spec.imageFloats());
                } catch (IOException | PatchifyException | IllegalArgumentException e) {
                    throw new CalibrationException(file + ": not a readable image (" + e.getMessage() + ")");
                }
                progress.accept(i + 1);
            }
        }
        return images(images, chosen.size(), spec, root + " (" + chosen.size() + " of " + files.size() + " images)");
    }

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".jpg") || name.endsWith(".jpeg") || name.endsWith(".png");
    }

    /** At most {@code limit} items spread evenly over {@code all}. */
    private static <T> List<T> spread(List<T> all, int limit) {
        if (all.size() <= limit) {
            return all;
        }
        List<T> chosen = new ArrayList<>(limit);
        for (int i = 0; i < limit; i++) {
            chosen.add(all.get((int) ((long) i * all.size() / limit)));
        }
        return chosen;
    }

    private static CalibrationImages video(String uri, PreprocessSpec spec, int limit, IntConsumer progress)
            throws CalibrationException {
        FastPreprocessor preprocessor = new FastPreprocessor(spec);
        List<float[]> frames = new ArrayList<>();
        long read = 0;
        try (FrameSource source = FrameSources.open(SourceSettings.of(uri))) {
            long declared = source.declaredFrames();
            long stride = declared > limit ? declared / limit : 1;
            for (SourceFrame frame = source.grab(); frame != null; frame = source.grab()) {
                if (read++ % stride != 0) {
                    continue;
                }
                float[] image = new float[spec.imageFloats()];
                preprocessor.preprocess(frame.copyPixels(), image, 0);
                frames.add(image);
                progress.accept(frames.size());
                if (frames.size() >= limit) {
                    break;
                }
            }
        } catch (IngestException e) {
            throw new CalibrationException(uri + ": cannot read the video (" + e.getMessage() + ")");
        }
        if (frames.isEmpty()) {
            throw new CalibrationException(uri + ": holds no frames");
        }
        return stacked(frames, spec, uri + " (" + frames.size() + " of " + read + " frames)");
    }

    /** {@code kafka://HOST:PORT[,HOST:PORT]/TOPIC}: the topic's frames from the beginning, up to its end now. */
    private static CalibrationImages kafka(String uri, PreprocessSpec spec, int limit, IntConsumer progress)
            throws CalibrationException {
        String rest = uri.substring("kafka://".length());
        int slash = rest.indexOf('/');
        if (slash <= 0 || slash == rest.length() - 1) {
            throw new CalibrationException(uri + ": expected kafka://HOST:PORT/TOPIC");
        }
        String bootstrap = rest.substring(0, slash);
        String topic = rest.substring(slash + 1);
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) KAFKA_TIMEOUT.toMillis());
        List<float[]> frames = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties, new ByteArrayDeserializer(),
                new ByteArrayDeserializer()); Patchifier patchifier = Patchifier.fast(spec)) {
            List<PartitionInfo> partitions = consumer.partitionsFor(topic, KAFKA_TIMEOUT);
            if (partitions == null || partitions.isEmpty()) {
                throw new CalibrationException(uri + ": topic " + topic + " does not exist");
            }
            List<TopicPartition> assigned = partitions.stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            Map<TopicPartition, Long> end = consumer.endOffsets(assigned, KAFKA_TIMEOUT);
            long deadline = System.nanoTime() + KAFKA_TIMEOUT.toNanos();
            while (frames.size() < limit && !reached(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new CalibrationException(uri + ": no progress reading the topic for "
                            + KAFKA_TIMEOUT.toSeconds() + " s");
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (frames.size() >= limit) {
                        break;
                    }
                    deadline = System.nanoTime() + KAFKA_TIMEOUT.toNanos();
                    float[] image = new float[spec.imageFloats()];
                    try {
                        patchifier.patchify(FrameRecords.image(FrameRecords.parse(record.value())), image, 0);
                    } catch (IngestException | PatchifyException | IllegalArgumentException e) {
                        throw new CalibrationException(uri + ": record at partition " + record.partition()
                                + " offset " + record.offset() + " is not a usable frame (" + e.getMessage() + ")");
                    }
                    frames.add(image);
                    progress.accept(frames.size());
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new CalibrationException(uri + ": cannot read from Kafka (" + e.getMessage() + ")");
        }
        if (frames.isEmpty()) {
            throw new CalibrationException(uri + ": the topic holds no frames");
        }
        return stacked(frames, spec, uri + " (" + frames.size() + " frames)");
    }

    private static boolean reached(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> entry : end.entrySet()) {
            if (consumer.position(entry.getKey()) < entry.getValue()) {
                return false;
            }
        }
        return true;
    }

    private static CalibrationImages stacked(List<float[]> frames, PreprocessSpec spec, String source)
            throws CalibrationException {
        float[] images = new float[frames.size() * spec.imageFloats()];
        for (int i = 0; i < frames.size(); i++) {
            System.arraycopy(frames.get(i), 0, images, i * spec.imageFloats(), spec.imageFloats());
        }
        return images(images, frames.size(), spec, source);
    }

    private static CalibrationImages images(float[] images, int count, PreprocessSpec spec, String source)
            throws CalibrationException {
        if (count == 0) {
            throw new CalibrationException(source + ": holds no images");
        }
        return new CalibrationImages(images, count, spec.imageFloats(), source);
    }
}
