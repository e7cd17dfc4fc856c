package ai.crate.runtime.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CrateConfigTest {
    @Test
    void presetsHaveTheSpecsSizes() {
        assertThat(Presets.tiny().parameterCount() / 1e6).isCloseTo(6.1, within(0.1));
        assertThat(Presets.small().parameterCount() / 1e6).isCloseTo(13.1, within(0.1));
        assertThat(Presets.base().parameterCount() / 1e6).isCloseTo(22.8, within(0.1));
        assertThat(Presets.large().parameterCount() / 1e6).isCloseTo(77.6, within(0.1));
        assertThat(Presets.tiny().tokens()).isEqualTo(197);
        assertThat(Presets.tiny().multiplyAdds() / 1e9).isCloseTo(2.16, within(0.03));
    }

    @Test
    void jsonRoundTripWithNonSquareSizes() throws Exception {
        CrateConfig config = CrateConfig.builder().imageSize(32, 48).patchSize(8, 6).numClasses(7).dim(48).depth(2)
                .heads(3).dimHead(20).pool(Pool.MEAN).ista(0.25f).build();
        String json = CrateConfigJson.toJsonString(config);
        assertThat(json).contains("\"image_size\" : [ 32, 48 ]").contains("\"pool\" : \"mean\"");
        assertThat(CrateConfigJson.parse(json)).isEqualTo(config);
        assertThat(CrateConfigJson.parse(CrateConfigJson.toJsonString(Presets.large()))).isEqualTo(Presets.large());
    }

    @Test
    void validationNamesTheKeyAndTheFix() {
        assertThatThrownBy(() -> CrateConfigJson.parse(
                "{\"image_size\": 225, \"patch_size\": 16, \"num_classes\": 10, \"dim\": 8, \"depth\": 1, \"heads\": 1}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("image height 225 is not divisible by patch height 16: change image_size or"
                        + " patch_size");
        assertThatThrownBy(() -> CrateConfigJson.parse(
                "{\"image_size\": 32, \"patch_size\": 16, \"num_classes\": 10, \"dim\": 8, \"depth\": 1, \"heads\": 1,"
                        + " \"pool\": \"max\"}"))
                .hasMessage("unknown pool \"max\": use \"cls\" (token 0) or \"mean\" (mean over all tokens)");
        assertThatThrownBy(() -> CrateConfigJson.parse("{\"image_size\": 32, \"patch_size\": 16, \"depth\": 1}"))
                .hasMessageStartingWith("config lacks num_classes, dim, heads: add them");
        assertThatThrownBy(() -> CrateConfigJson.parse("{\"image_size\": 32, \"patchsize\": 16}"))
                .hasMessageStartingWith("unknown config key(s) [patchsize]");
        assertThatThrownBy(() -> CrateConfigJson.parse(
                "{\"image_size\": 32, \"patch_size\": 16, \"num_classes\": 10, \"dim\": 8, \"depth\": 0, \"heads\": 1,"
                        + " \"ista\": -1}"))
                .hasMessageContaining("depth must be a positive integer, got 0")
                .hasMessageContaining("ista must be a positive step size");
        assertThatThrownBy(() -> Presets.named("huge")).hasMessage("unknown arch 'huge': use one of tiny, small, base,"
                + " large");
    }
}
