package ai.crate.ingest;

import ai.crate.ingest.proto.Encoding;
import ai.crate.ingest.proto.Frame;
import ai.crate.patchify.EncodedFrame;
import ai.crate.patchify.FrameFormat;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FrameRecordsTest {
    private static Frame.Builder valid() {
        return Frame.newBuilder().setSchemaVersion(1).setCameraId("cam").setSeq(7).setWidth(4).setHeight(2)
                .setEncoding(Encoding.GRAY8).setData(ByteString.copyFrom(new byte[8])).setCaptureTimeUs(1);
    }

    @Test
    void roundTripsAFrameAndItsImage() throws IngestException {
        Frame parsed = FrameRecords.parse(valid().setLabel("circle").build().toByteArray());
        assertThat(parsed.getLabel()).isEqualTo("circle");
        assertThat(parsed.hasLabel()).isTrue();
        EncodedFrame image = FrameRecords.image(parsed);
        assertThat(image.format()).isEqualTo(FrameFormat.GRAY8);
        assertThat(image.width()).isEqualTo(4);
        assertThat(FrameRecords.encodingOf(FrameFormat.NV12)).isEqualTo(Encoding.NV12);
    }

    @Test
    void everyFrameFormatHasAnEncoding() {
        for (FrameFormat format : FrameFormat.values()) {
            assertThat(FrameRecords.encodingOf(format).name()).isEqualTo(format.name());
        }
    }

    @Test
    void refusesBadRecordsSayingWhatIsWrong() {
        assertThatThrownBy(() -> FrameRecords.parse(new byte[]{(byte) 0xFF, 1, 2}))
                .hasMessageContaining("is not a crate.frames.v1.Frame");
        assertThatThrownBy(() -> FrameRecords.parse(null)).hasMessageContaining("no value");
        assertThatThrownBy(() -> FrameRecords.parse(valid().setSchemaVersion(2).build().toByteArray()))
                .hasMessageContaining("schema_version 2");
        assertThatThrownBy(() -> FrameRecords.parse(valid().setCameraId("").build().toByteArray()))
                .hasMessageContaining("no camera_id");
        assertThatThrownBy(() -> FrameRecords.parse(valid().setEncodingValue(99).build().toByteArray()))
                .hasMessageContaining("unknown encoding (99)");
        assertThatThrownBy(() -> FrameRecords.parse(valid().setWidth(0).build().toByteArray()))
                .hasMessageContaining("cam/7 has no width or height");
        assertThatThrownBy(() -> FrameRecords.parse(valid().setData(ByteString.EMPTY).build().toByteArray()))
                .hasMessageContaining("cam/7 has no data");
    }
}
