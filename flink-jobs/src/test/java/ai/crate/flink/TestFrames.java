package ai.crate.flink;

import ai.crate.ingest.FrameEncoder;
import ai.crate.ingest.IngestException;
import ai.crate.ingest.proto.Encoding;
import ai.crate.ingest.proto.Frame;
import ai.crate.ingest.source.SourceFrame;
import ai.crate.patchify.DecodedImage;
import ai.crate.patchify.EncodedFrame;
import ai.crate.patchify.FrameFormat;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.shapes.ShapeClass;
import ai.crate.patchify.shapes.ShapesDataset;
import ai.crate.patchify.shapes.ShapesDomain;
import com.google.protobuf.ByteString;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

/**
 * Labelled shapes frames as the job reads them: frame {@code i} is camera {@code cam-(i%2)}, seq {@code i/2}, a
 * 128×128 JPEG with its shape's name as the label. Close it to release the encoder.
 */
final class TestFrames implements AutoCloseable {
    private final ShapesDataset shapes;
    private final FrameEncoder encoder = new FrameEncoder(640, FrameFormat.JPEG, 90);

    TestFrames(int count) {
        this(count, ShapesDomain.STANDARD);
    }

    /** Frames as {@code domain} shows them. */
    TestFrames(int count, ShapesDomain domain) {
        shapes = new ShapesDataset(count, 11, 128, PreprocessSpec.imagenet(64), domain);
    }

    Frame frame(int i) throws IngestException {
        String camera = "cam-" + (i % 2);
        DecodedImage picture = shapes.picture(i);
        EncodedFrame jpeg;
        try (BytePointer pixels = new BytePointer(picture.pixels());
             Mat mat = new Mat(picture.height(), picture.width(), CV_8UC3, pixels)) {
            jpeg = encoder.encode(new SourceFrame(mat, i * 40_000L, null));
        }
        return Frame.newBuilder().setSchemaVersion(1).setCameraId(camera).setSeq(i / 2)
                .setCaptureTimeUs(1_700_000_000_000_000L + i * 40_000L).setWidth(jpeg.width())
                .setHeight(jpeg.height()).setEncoding(Encoding.JPEG).setData(ByteString.copyFrom(jpeg.data()))
                .setLabel(ShapeClass.labels().get(shapes.label(i))).setSourceUri("test").build();
    }

    @Override
    public void close() {
        encoder.close();
    }
}
