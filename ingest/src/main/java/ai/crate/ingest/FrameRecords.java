package ai.crate.ingest;

import ai.crate.ingest.proto.Encoding;
import ai.crate.ingest.proto.Frame;
import ai.crate.patchify.EncodedFrame;
import ai.crate.patchify.FrameFormat;
import com.google.protobuf.InvalidProtocolBufferException;

import java.nio.charset.StandardCharsets;

/**
 * The {@code frames} topic's records: key = camera id as UTF-8, value = a {@code crate.frames.v1.Frame}
 * ({@code src/main/proto/crate/frames/v1/frame.proto}, documented in {@code docs/schemas.md}). {@link #parse} checks
 * what consumers rely on and says what is wrong.
 */
public final class FrameRecords {
    /** The schema version this code writes and reads. */
    public static final int SCHEMA_VERSION = 1;

    private FrameRecords() {
    }

    public static byte[] key(String cameraId) {
        return cameraId.getBytes(StandardCharsets.UTF_8);
    }

    public static Encoding encodingOf(FrameFormat format) {
        return Encoding.valueOf(format.name());
    }

    /**
     * Parses and validates a record value.
     *
     * @throws IngestException naming what is wrong: not a Frame, an unknown schema version, no camera id, no size, an
     *                         unknown encoding or no data
     */
    public static Frame parse(byte[] value) throws IngestException {
        if (value == null) {
            throw new IngestException("frame record has no value");
        }
        Frame frame;
        try {
            frame = Frame.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
            throw new IngestException("frame record of " + value.length + " bytes is not a crate.frames.v1.Frame: "
                    + e.getMessage(), e);
        }
        if (frame.getSchemaVersion() != SCHEMA_VERSION) {
            throw new IngestException("frame record has schema_version " + frame.getSchemaVersion() + "; this reader"
                    + " understands " + SCHEMA_VERSION);
        }
        if (frame.getCameraId().isEmpty()) {
            throw new IngestException("frame record seq " + frame.getSeq() + " has no camera_id");
        }
        if (frame.getEncoding() == Encoding.ENCODING_UNSPECIFIED || frame.getEncoding() == Encoding.UNRECOGNIZED) {
            throw new IngestException("frame record " + frame.getCameraId() + "/" + frame.getSeq()
                    + " has an unknown encoding (" + frame.getEncodingValue() + ")");
        }
        if (frame.getWidth() == 0 || frame.getHeight() == 0) {
            throw new IngestException("frame record " + frame.getCameraId() + "/" + frame.getSeq()
                    + " has no width or height");
        }
        if (frame.getData().isEmpty()) {
            throw new IngestException("frame record " + frame.getCameraId() + "/" + frame.getSeq() + " has no data");
        }
        return frame;
    }

    /** The frame's image, ready for a {@code patchify} decoder. */
    public static EncodedFrame image(Frame frame) {
        return new EncodedFrame(FrameFormat.valueOf(frame.getEncoding().name()), frame.getWidth(), frame.getHeight(),
                frame.getData().toByteArray());
    }
}
