package ai.crate.ingest.codes;

import ai.crate.ingest.proto.SparseCodes;
import ai.crate.ingest.proto.TokenSelection;
import ai.crate.runtime.tensor.HalfFloats;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SparseCodeEncoderTest {
    /** Three tokens of dimension 4. */
    private static final float[] Z = {0f, 2f, 0f, -0.5f, 1f, 0f, 0f, 3f, 0f, 0f, 0.25f, 0f};

    @Test
    void clsRowKeepsEveryNonzeroInIncreasingOrderAsHalfFloats() {
        SparseCodes codes = encoder(TokenSelection.CLS, 0, 0f, true).encode(Z, 3, 4, 11).build();
        assertThat(codes.getRows()).isEqualTo(1);
        assertThat(codes.getRowOffsetsList()).containsExactly(0, 2);
        assertThat(codes.getIndicesList()).containsExactly(1, 3);
        ByteBuffer half = ByteBuffer.wrap(codes.getValuesFp16().toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(HalfFloats.halfToFloat(half.getShort())).isEqualTo(2f);
        assertThat(HalfFloats.halfToFloat(half.getShort())).isEqualTo(-0.5f);
        assertThat(codes.getDensity()).isEqualTo(0.5f);
        assertThat(codes.getLayer()).isEqualTo(11);
    }

    @Test
    void allTokensWithTopKAndThresholdInFp32() {
        SparseCodes codes = encoder(TokenSelection.ALL, 1, 0.3f, false).encode(Z, 3, 4, 0).build();
        assertThat(codes.getRows()).isEqualTo(3);
        assertThat(codes.getRowOffsetsList()).containsExactly(0, 1, 2, 2);
        assertThat(codes.getIndicesList()).containsExactly(1, 3);
        assertThat(codes.getValuesFp32List()).containsExactly(2f, 3f);
        assertThat(codes.getDensity()).isEqualTo(5f / 12f);
    }

    @Test
    void meanRowAveragesTheTokens() {
        SparseCodes codes = encoder(TokenSelection.MEAN, 0, 0f, false).encode(Z, 3, 4, 0).build();
        assertThat(codes.getValuesFp32List()).containsExactly(1f / 3, 2f / 3, 0.25f / 3, 2.5f / 3);
    }

    @Test
    void badOptionsAreRefused() {
        assertThatThrownBy(() -> new CodesOptions(true, 0, TokenSelection.TOKENS_UNSPECIFIED, 0, 0f, true, "t"))
                .hasMessageContaining("cls, mean or all");
        assertThatThrownBy(() -> CodesOptions.tokens("some")).hasMessageContaining("got some");
    }

    private static SparseCodeEncoder encoder(TokenSelection tokens, int topK, float min, boolean fp16) {
        return new SparseCodeEncoder(new CodesOptions(true, -1, tokens, topK, min, fp16, "sparse-codes"));
    }
}
