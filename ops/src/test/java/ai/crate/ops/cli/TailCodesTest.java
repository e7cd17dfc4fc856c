package ai.crate.ops.cli;

import ai.crate.ingest.proto.SparseCodes;
import ai.crate.ingest.proto.TokenSelection;
import ai.crate.runtime.tensor.HalfFloats;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code crate tail sparse-codes} prints a code as its nonzero count, density and largest entries. */
class TailCodesTest {

    @Test
    void aCodeIsSummarisedWithItsLargestEntriesFirst() {
        float[] values = {0.5f, -2.25f, 1.0f};
        ByteBuffer half = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            half.putShort(HalfFloats.floatToHalf(v));
        }
        SparseCodes fp16 = SparseCodes.newBuilder().setSchemaVersion(1).setCameraId("cam-7").setSeq(42)
                .setModelName("crate-shapes").setModelVersion("2").setLayer(3).setTokens(TokenSelection.CLS)
                .setDim(128).setRows(1).addAllRowOffsets(List.of(0, 3)).addAllIndices(List.of(4, 17, 90))
                .setValuesFp16(ByteString.copyFrom(half.array())).setDensity(0.25f).build();
        assertThat(TailCommand.codes(fp16)).isEqualTo("cam-7 frame 42 model=crate-shapes:2 layer 3 cls rows=1"
                + " dim=128 nonzeros=3 density=0.250 top=[17:-2.250 90:1.000 4:0.500]");
        SparseCodes fp32 = fp16.toBuilder().clearValuesFp16().addAllValuesFp32(List.of(0.5f, -2.25f, 1.0f)).build();
        assertThat(TailCommand.codes(fp32)).isEqualTo(TailCommand.codes(fp16));
    }
}
