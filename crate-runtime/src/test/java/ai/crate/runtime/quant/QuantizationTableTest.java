package ai.crate.runtime.quant;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Presets;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QuantizationTableTest {
    private static final CrateConfig TINY;

    static {
        try {
            TINY = Presets.named("tiny");
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static QuantizationTable full(CrateConfig config, float amax) {
        Map<String, Float> ranges = new LinkedHashMap<>();
        for (QuantPoint point : QuantPoint.all(config)) {
            ranges.put(point.tensor(), point.kind() == QuantPoint.Kind.ATTENTION ? 0.5f : amax);
        }
        return new QuantizationTable("entropy", 64, ranges, Set.of());
    }

    @Test
    void everyProductInputOfTheFusedGraphIsAPoint() {
        assertThat(QuantPoint.all(TINY)).hasSize(2 + 12 * 5);
        assertThat(QuantPoint.all(TINY).get(0).tensor()).isEqualTo("patch_embed/norm");
        assertThat(QuantPoint.all(TINY).get(61).tensor()).isEqualTo("head/norm");
        assertThat(QuantPoint.layerName(-1, TINY)).isEqualTo("embedding");
        assertThat(QuantPoint.layerName(12, TINY)).isEqualTo("head");
    }

    @Test
    void jsonRoundTripsWithScalesAndFloatLayers() {
        QuantizationTable table = full(TINY, 3.5f).withFloatLayers(Set.of(11, -1));
        String json = table.toJson();
        assertThat(json).contains("\"method\" : \"entropy\"", "\"amax\" : 3.5", "\"scale\" : " + 3.5f / 127,
                "\"float_layers\" : [ -1, 11 ]");
        QuantizationTable read = QuantizationTable.fromJson(json, "t.json");
        assertThat(read).isEqualTo(table);
        read.requireFor(TINY, "t.json");
        assertThat(read.quantizes(new QuantPoint("layer11/norm1", 11, QuantPoint.Kind.QKV_INPUT))).isFalse();
        assertThat(read.quantizes(new QuantPoint("layer10/norm1", 10, QuantPoint.Kind.QKV_INPUT))).isTrue();
    }

    @Test
    void tablesThatDoNotFitTheModelOrTheFormatAreRefusedNamingTheSource() throws Exception {
        QuantizationTable small = full(Presets.named("tiny"), 1f);
        CrateConfig large = Presets.named("large");
        assertThatThrownBy(() -> small.requireFor(large, "t.json"))
                .hasMessageContaining("t.json: no calibration range for layer12/norm1");
        Map<String, Float> extra = new LinkedHashMap<>(small.amax());
        extra.put("layer99/norm1", 1f);
        assertThatThrownBy(() -> new QuantizationTable("max", 1, extra, Set.of()).requireFor(TINY, "x.json"))
                .hasMessageContaining("x.json: range for layer99/norm1");
        assertThatThrownBy(() -> QuantizationTable.fromJson("{\"format\": 2}", "f.json"))
                .hasMessageContaining("f.json: calibration table format 2");
        assertThatThrownBy(() -> QuantizationTable.fromJson("[1]", "a.json")).hasMessageContaining("a.json: not a");
        assertThatThrownBy(() -> QuantizationTable.fromJson(
                "{\"format\":1,\"activations\":{\"w_0\":{\"amax\":-1}}}", "n.json"))
                .hasMessageContaining("n.json: calibration range of w_0 is -1.0");
        assertThatThrownBy(() -> QuantizationTable.fromJson("{", "b.json")).hasMessageContaining("b.json: not JSON");
    }

    @Test
    void int8RoundsHalfToEvenAndSaturates() {
        float scale = Int8.scale(127);
        assertThat(scale).isEqualTo(1f);
        assertThat(Int8.quantize(2.5f, scale)).isEqualTo((byte) 2);
        assertThat(Int8.quantize(-3.5f, scale)).isEqualTo((byte) -4);
        assertThat(Int8.quantize(300f, scale)).isEqualTo((byte) 127);
        assertThat(Int8.quantize(-300f, scale)).isEqualTo((byte) -128);
        assertThat(Int8.scale(0)).isEqualTo(1f);
        float[] columns = Int8.columnScales(new float[] {1f, -254f, 0.5f, 127f}, 2, 2);
        assertThat(columns).containsExactly(1f / 127, 2f);
        assertThatThrownBy(() -> Int8.scale(Double.NaN)).hasMessageContaining("finite and >= 0");
    }
}
