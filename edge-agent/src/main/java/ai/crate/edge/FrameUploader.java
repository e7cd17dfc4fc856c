package ai.crate.edge;

import ai.crate.edge.spool.Spool;
import ai.crate.ingest.FrameEncoder;
import ai.crate.ingest.FrameRecords;
import ai.crate.ingest.IngestException;
import ai.crate.ingest.proto.Frame;
import ai.crate.ingest.source.SourceFrame;
import ai.crate.patchify.ChannelOrder;
import ai.crate.patchify.DecodedImage;
import ai.crate.patchify.EncodedFrame;
import ai.crate.patchify.FrameFormat;
import com.google.protobuf.ByteString;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

/**
 * Sends some frames to the {@code frames} topic for central fine-tuning, through the spool: one in
 * {@code sample_every} per camera, and every frame whose top-1 probability is below {@code below_confidence} (the
 * ones a person should label). Frames go as JPEG at most {@code max_side} pixels, in the {@code frames} schema with
 * the camera's own seq, so feedback on them joins. Used by the inference thread only; close it to free the encoder.
 */
final class FrameUploader implements AutoCloseable {
    private final AgentConfig.Uploads settings;
    private final String sourceUri;
    private final Spool spool;
    private final AgentMetrics metrics;
    private final FrameEncoder encoder;
    private final Map<String, Long> seen = new HashMap<>();

    FrameUploader(AgentConfig.Uploads settings, String deviceId, Spool spool, AgentMetrics metrics) {
        this.settings = settings;
        this.sourceUri = "agent/" + deviceId;
        this.spool = spool;
        this.metrics = metrics;
        this.encoder = new FrameEncoder(settings.maxSide(), FrameFormat.JPEG, settings.jpegQuality());
    }

    /** Uploads {@code frame} if it is due or uncertain; {@code confidence} is its top-1 probability. */
    void consider(CameraFrame frame, double confidence) throws IOException {
        long n = seen.merge(frame.cameraId(), 1L, Long::sum);
        boolean sampled = settings.sampleEvery() > 0 && (n - 1) % settings.sampleEvery() == 0;
        boolean uncertain = confidence < settings.belowConfidence();
        if (!sampled && !uncertain) {
            return;
        }
        EncodedFrame jpeg = encode(frame.image());
        Frame record = Frame.newBuilder().setSchemaVersion(FrameRecords.SCHEMA_VERSION).setCameraId(frame.cameraId())
                .setSeq(frame.seq()).setCaptureTimeUs(frame.captureMicros()).setWidth(jpeg.width())
                .setHeight(jpeg.height()).setEncoding(FrameRecords.encodingOf(FrameFormat.JPEG))
                .setData(ByteString.copyFrom(jpeg.data())).setSourceUri(sourceUri).build();
        spool.append(settings.topic(), FrameRecords.key(frame.cameraId()), record.toByteArray());
        metrics.frameUploaded(frame.cameraId());
    }

    private EncodedFrame encode(DecodedImage image) throws IOException {
        byte[] bgr = image.pixels();
        if (image.order() != ChannelOrder.BGR) {
            bgr = bgr.clone();
            for (int p = 0; p + 2 < bgr.length; p += 3) {
                byte r = bgr[p];
                bgr[p] = bgr[p + 2];
                bgr[p + 2] = r;
            }
        }
        try (BytePointer pixels = new BytePointer(bgr);
             Mat mat = new Mat(image.height(), image.width(), CV_8UC3, pixels)) {
            return encoder.encode(new SourceFrame(mat, 0, null));
        } catch (IngestException e) {
            throw new IOException("cannot encode a frame for upload: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        encoder.close();
    }
}
