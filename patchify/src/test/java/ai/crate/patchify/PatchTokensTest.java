package ai.crate.patchify;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PatchTokensTest {

    @Test
    void tokensFollowTheSpecOrderRowColumnChannel() {
        int channels = 3;
        int height = 4;
        int width = 6;
        float[] image = new float[channels * height * width];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    image[(c * height + y) * width + x] = 1000 * c + 10 * y + x;
                }
            }
        }
        float[] tokens = new float[image.length];
        PatchTokens.fromChw(image, 0, channels, height, width, 2, 3, tokens, 0);
        int tokenSize = 2 * 3 * channels;
        for (int token = 0; token < 4; token++) {
            int gridRow = token / 2;
            int gridColumn = token % 2;
            for (int p1 = 0; p1 < 2; p1++) {
                for (int p2 = 0; p2 < 3; p2++) {
                    for (int c = 0; c < channels; c++) {
                        float expected = 1000 * c + 10 * (gridRow * 2 + p1) + gridColumn * 3 + p2;
                        assertThat(tokens[token * tokenSize + (p1 * 3 + p2) * channels + c]).isEqualTo(expected);
                    }
                }
            }
        }
    }

    @Test
    void patchThatDoesNotDivideTheImageIsRefused() {
        assertThatThrownBy(() -> PatchTokens.fromChw(new float[3 * 10 * 10], 0, 3, 10, 10, 3, 3, new float[300], 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not divide the image 10x10");
    }
}
