package ai.crate.calibration;

import ai.crate.runtime.quant.QuantizationTable;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TensorRtCalibrationCacheTest {
    @Test
    void scalesAreTheHexBitsOfAmaxOver127UnderAVersionedHeader() throws Exception {
        Map<String, Float> amax = new LinkedHashMap<>();
        amax.put("patch_embed/norm", 127f / 128f);
        amax.put("layer0/attention", 127f);
        QuantizationTable table = new QuantizationTable("entropy", 10, amax, Set.of());
        String text = TensorRtCalibrationCache.write(table, TensorRtCalibrationCache.ENTROPY_CALIBRATION_2);
        assertThat(text).isEqualTo("TRT-101200-EntropyCalibration2\n"
                + "patch_embed/norm: 3c000000\n"
                + "layer0/attention: 3f800000\n");
        TensorRtCalibrationCache.Cache cache = TensorRtCalibrationCache.read(text, "t.cache");
        assertThat(cache.version()).isEqualTo(101200);
        assertThat(cache.algorithm()).isEqualTo("EntropyCalibration2");
        assertThat(cache.scales()).containsExactly(Map.entry("patch_embed/norm", 0.0078125f),
                Map.entry("layer0/attention", 1f));
    }

    @Test
    void aCacheWrittenByTensorRtItselfParses() throws Exception {
        String text = "TRT-8601-EntropyCalibration2\ninput: 3c010a14\n(Unnamed Layer* 0) [Convolution]_output: 3d2e5c3b\n";
        TensorRtCalibrationCache.Cache cache = TensorRtCalibrationCache.read(text, "trt.cache");
        assertThat(cache.version()).isEqualTo(8601);
        assertThat(cache.scales()).containsKeys("input", "(Unnamed Layer* 0) [Convolution]_output");
        assertThat(cache.scales().get("input")).isEqualTo(Float.intBitsToFloat(0x3c010a14));
    }

    @Test
    void malformedCachesNameTheLine() {
        assertThatThrownBy(() -> TensorRtCalibrationCache.read("hello\n", "a.cache"))
                .hasMessageContaining("a.cache: line 1 is 'hello'");
        assertThatThrownBy(() -> TensorRtCalibrationCache.read("TRT-x-EntropyCalibration2\n", "b.cache"))
                .hasMessageContaining("version 'x' is not a number");
        assertThatThrownBy(() -> TensorRtCalibrationCache.read("TRT-101200-MinMaxCalibration\nt: 3c0\n", "c.cache"))
                .hasMessageContaining("c.cache: line 2: '3c0' is not 8 hex digits");
        assertThatThrownBy(() -> TensorRtCalibrationCache.read("TRT-101200-MinMaxCalibration\nno colon\n", "d.cache"))
                .hasMessageContaining("d.cache: line 2 is 'no colon'");
    }
}
