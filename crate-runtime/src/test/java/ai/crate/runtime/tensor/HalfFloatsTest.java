package ai.crate.runtime.tensor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HalfFloatsTest {
    @Test
    void everyHalfRoundTripsThroughFloat() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short half = (short) bits;
            float value = HalfFloats.halfToFloat(half);
            if (Float.isNaN(value)) {
                assertThat((bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0).isTrue();
                continue;
            }
            assertThat(HalfFloats.floatToHalf(value)).as("bits %04x", bits).isEqualTo(half);
        }
    }

    @Test
    void knownValues() {
        assertThat(HalfFloats.halfToFloat((short) 0x3c00)).isEqualTo(1f);
        assertThat(HalfFloats.halfToFloat((short) 0xc000)).isEqualTo(-2f);
        assertThat(HalfFloats.halfToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(HalfFloats.halfToFloat((short) 0x7bff)).isEqualTo(65504f);
        assertThat(HalfFloats.floatToHalf(1f + 0x1p-11f)).isEqualTo((short) 0x3c00);
        assertThat(HalfFloats.floatToHalf(70000f)).isEqualTo((short) 0x7c00);
    }
}
