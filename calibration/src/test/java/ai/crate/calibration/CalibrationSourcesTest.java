package ai.crate.calibration;

import ai.crate.ingest.FrameRecords;
import ai.crate.ingest.broker.EmbeddedKafkaBroker;
import ai.crate.ingest.proto.Frame;
import ai.crate.ingest.video.VideoWriter;
import ai.crate.patchify.ChannelOrder;
import ai.crate.patchify.DecodedImage;
import ai.crate.patchify.FrameFormat;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.runtime.npy.Npy;
import com.google.protobuf.ByteString;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CalibrationSourcesTest {
    private static final PreprocessSpec SPEC = PreprocessSpec.imagenet(64);

    @Test
    void anImageDirectoryIsSearchedRecursivelyAndSpreadToTheLimit(@TempDir Path dir) throws Exception {
        for (int i = 0; i < 6; i++) {
            Path sub = dir.resolve(i % 2 == 0 ? "a" : "b/c");
            Files.createDirectories(sub);
            Files.write(sub.resolve("frame" + i + ".jpg"), jpeg(i));
        }
        CalibrationImages images = CalibrationSources.read(dir.toString(), SPEC, 4, n -> { });
        assertThat(images.count()).isEqualTo(4);
        assertThat(images.imageFloats()).isEqualTo(3 * 64 * 64);
        assertThat(images.source()).contains("4 of 6 images");
    }

    @Test
    void emptyMissingOrDamagedSourcesFailNamingTheInput(@TempDir Path dir) throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> CalibrationSources.read(empty.toString(), SPEC, 10, n -> { }))
                .isInstanceOf(CalibrationException.class).hasMessageContaining(empty + ": holds no .jpg");
        Path damaged = Files.createDirectories(dir.resolve("damaged"));
        Files.write(damaged.resolve("good.jpg"), jpeg(1));
        Files.write(damaged.resolve("bad.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3});
        assertThatThrownBy(() -> CalibrationSources.read(damaged.toString(), SPEC, 10, n -> { }))
                .hasMessageContaining(damaged.resolve("bad.jpg") + ": not a readable image");
        assertThatThrownBy(() -> CalibrationSources.read(dir.resolve("nothing.mp4").toString(), SPEC, 10, n -> { }))
                .hasMessageContaining("nothing.mp4: no such file or directory");
        Path notVideo = Files.writeString(dir.resolve("notes.mp4"), "not a video");
        assertThatThrownBy(() -> CalibrationSources.read(notVideo.toString(), SPEC, 10, n -> { }))
                .isInstanceOf(CalibrationException.class).hasMessageContaining(notVideo.toString());
    }

    @Test
    void framesAreSpreadOverAnH264Video(@TempDir Path dir) throws Exception {
        Path video = dir.resolve("clip.mp4");
        try (VideoWriter writer = new VideoWriter(video, 96, 80, 25)) {
            for (int i = 0; i < 40; i++) {
                BufferedImage frame = ImageIO.read(new java.io.ByteArrayInputStream(jpeg(i % 7)));
                byte[] pixels = new byte[96 * 80 * 3];
                for (int y = 0; y < 80; y++) {
                    for (int x = 0; x < 96; x++) {
                        int rgb = frame.getRGB(Math.min(x, 79), y);
                        pixels[(y * 96 + x) * 3] = (byte) (rgb >> 16);
                        pixels[(y * 96 + x) * 3 + 1] = (byte) (rgb >> 8);
                        pixels[(y * 96 + x) * 3 + 2] = (byte) rgb;
                    }
                }
                writer.write(new DecodedImage(96, 80, ChannelOrder.RGB, pixels));
            }
        }
        int[] reported = new int[1];
        CalibrationImages images = CalibrationSources.read(video.toString(), SPEC, 10, n -> reported[0] = n);
        assertThat(images.count()).isEqualTo(10);
        assertThat(reported[0]).isEqualTo(10);
        assertThat(images.source()).contains("clip.mp4", "10 of");
        float[] values = images.images();
        assertThat(java.util.stream.IntStream.range(0, values.length).filter(i -> values[i] != values[0]).count())
                .as("frames differ").isPositive();
    }

    @Test
    void npyFilesAreCheckedForShapeAndFiniteValues(@TempDir Path dir) throws Exception {
        Path wrong = dir.resolve("wrong.npy");
        Npy.writeFloat32(wrong, new int[] {1, 3, 32, 32}, new float[3 * 32 * 32]);
        assertThatThrownBy(() -> CalibrationSources.read(wrong.toString(), SPEC, 10, n -> { }))
                .hasMessageContaining("images are [3, 32, 32] but the model takes [3, 64, 64]");
        Path nan = dir.resolve("nan.npy");
        float[] values = new float[2 * 3 * 64 * 64];
        values[3 * 64 * 64 + 5] = Float.NaN;
        Npy.writeFloat32(nan, new int[] {2, 3, 64, 64}, values);
        assertThatThrownBy(() -> CalibrationSources.read(nan.toString(), SPEC, 10, n -> { }))
                .hasMessageContaining("image 1 holds NaN");
        Path good = dir.resolve("good.npy");
        Npy.writeFloat32(good, new int[] {2, 3, 64, 64}, new float[2 * 3 * 64 * 64]);
        assertThat(CalibrationSources.read(good.toString(), SPEC, 10, n -> { }).count()).isEqualTo(2);
    }

    @Test
    void framesAreReadFromAKafkaTopicAndAnUndecodableRecordIsNamed(@TempDir Path dir) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, dir.resolve("kafka"))) {
            broker.createTopics(List.of(new NewTopic("cal-frames", 1, (short) 1), new NewTopic("cal-bad", 1, (short) 1),
                    new NewTopic("cal-empty", 1, (short) 1)));
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap()), new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                for (int i = 0; i < 5; i++) {
                    producer.send(new ProducerRecord<>("cal-frames", frame(i).toByteArray()));
                }
                producer.send(new ProducerRecord<>("cal-bad", frame(0).toByteArray()));
                producer.send(new ProducerRecord<>("cal-bad", new byte[] {1, 2, 3}));
                producer.flush();
            }
            String bootstrap = broker.bootstrap();
            CalibrationImages images = CalibrationSources.read("kafka://" + bootstrap + "/cal-frames", SPEC, 100,
                    n -> { });
            assertThat(images.count()).isEqualTo(5);
            assertThat(CalibrationSources.read("kafka://" + bootstrap + "/cal-frames", SPEC, 3, n -> { }).count())
                    .isEqualTo(3);
            assertThatThrownBy(() -> CalibrationSources.read("kafka://" + bootstrap + "/cal-bad", SPEC, 100, n -> { }))
                    .hasMessageContaining("cal-bad: record at partition 0 offset 1 is not a usable frame");
            assertThatThrownBy(() -> CalibrationSources.read("kafka://" + bootstrap + "/cal-empty", SPEC, 100,
                    n -> { })).hasMessageContaining("the topic holds no frames");
            assertThatThrownBy(() -> CalibrationSources.read("kafka://" + bootstrap, SPEC, 100, n -> { }))
                    .hasMessageContaining("expected kafka://HOST:PORT/TOPIC");
        }
    }

    @Test
    void aHeldOutSplitIsSpreadOverTheSet() {
        float[] values = new float[10];
        for (int i = 0; i < 10; i++) {
            values[i] = i;
        }
        CalibrationImages[] parts = new CalibrationImages(values, 10, 1, "ten").split(0.2);
        assertThat(parts[0].count()).isEqualTo(8);
        assertThat(parts[1].images()).containsExactly(4f, 9f);
        assertThatThrownBy(() -> new CalibrationImages(values, 1, 10, "one").split(0.2))
                .hasMessageContaining("too few to hold out");
    }

    private static Frame frame(int i) throws Exception {
        return Frame.newBuilder().setSchemaVersion(FrameRecords.SCHEMA_VERSION).setCameraId("cal").setSeq(i)
                .setWidth(80).setHeight(80).setEncoding(FrameRecords.encodingOf(FrameFormat.JPEG))
                .setData(ByteString.copyFrom(jpeg(i))).build();
    }

    private static byte[] jpeg(int seed) throws Exception {
        BufferedImage image = new BufferedImage(80, 80, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(seed * 40 % 256, 120, 200 - seed * 20));
        g.fillRect(0, 0, 80, 80);
        g.setColor(Color.WHITE);
        g.fillOval(10 + seed, 10, 40, 40);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpg", out);
        return out.toByteArray();
    }
}
