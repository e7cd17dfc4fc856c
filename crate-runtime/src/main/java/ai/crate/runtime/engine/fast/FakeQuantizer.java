package ai.crate.runtime.engine.fast;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.quant.Int8;
import ai.crate.runtime.quant.QuantPoint;
import ai.crate.runtime.quant.QuantizationTable;

import java.nio.ByteBuffer;

/**
 * The activation scales of a {@link QuantizationTable}, arranged for the fast engine's steps: per layer, the scale of
 * each product input, 0 where the table keeps the point in float. {@link #apply} rounds a row to the INT8 grid in
 * place, which is what {@code QuantizeLinear → DequantizeLinear} does in the INT8 graph.
 */
final class FakeQuantizer {
    final float patches;
    final float[] qkvInput;
    final float[] heads;
    final float[] attention;
    final float[] outInput;
    final float[] istaInput;
    final float headInput;

    FakeQuantizer(CrateConfig config, QuantizationTable table) {
        int depth = config.depth();
        qkvInput = new float[depth];
        heads = new float[depth];
        attention = new float[depth];
        outInput = new float[depth];
        istaInput = new float[depth];
        float patchScale = 0;
        float headScale = 0;
        for (QuantPoint point : QuantPoint.all(config)) {
            float scale = table.quantizes(point) ? table.scale(point) : 0f;
            switch (point.kind()) {
                case PATCHES -> patchScale = scale;
                case QKV_INPUT -> qkvInput[point.layer()] = scale;
                case HEADS -> heads[point.layer()] = scale;
                case ATTENTION -> attention[point.layer()] = scale;
                case OUT_INPUT -> outInput[point.layer()] = scale;
                case ISTA_INPUT -> istaInput[point.layer()] = scale;
                case HEAD_INPUT -> headScale = scale;
                default -> throw new IllegalStateException("unknown point " + point);
            }
        }
        patches = patchScale;
        headInput = headScale;
    }

    /** Rounds {@code n} floats at float index {@code offset} to the grid of {@code scale}; nothing when it is 0. */
    static void apply(ByteBuffer data, long offset, int n, float scale) {
        if (scale == 0f) {
            return;
        }
        for (int i = 0; i < n; i++) {
            int at = (int) ((offset + i) * 4);
            data.putFloat(at, Int8.fakeQuantize(data.getFloat(at), scale));
        }
    }

    static void apply(float[] data, int offset, int n, float scale) {
        if (scale != 0f) {
            Int8.fakeQuantize(data, offset, n, scale);
        }
    }
}
