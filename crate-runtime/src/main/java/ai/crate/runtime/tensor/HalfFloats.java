package ai.crate.runtime.tensor;

/** IEEE 754 binary16 to and from float32, bit-exact (round to nearest even), for Java 17 which lacks it. */
public final class HalfFloats {
    private HalfFloats() {
    }

    public static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    public static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int magnitude = bits & 0x7fffffff;
        if (magnitude >= 0x7f800000) {
            return (short) (sign | 0x7c00 | (magnitude > 0x7f800000 ? 0x200 : 0));
        }
        if (magnitude >= 0x477ff000) {
            return (short) (sign | 0x7c00);
        }
        if (magnitude < 0x38800000) {
            float scaled = Float.intBitsToFloat(magnitude) * 0x1p24f;
            return (short) (sign | Math.round(Math.rint(scaled)));
        }
        int rounded = magnitude + 0xfff + ((magnitude >>> 13) & 1);
        return (short) (sign | ((rounded - (112 << 23)) >>> 13));
    }
}
