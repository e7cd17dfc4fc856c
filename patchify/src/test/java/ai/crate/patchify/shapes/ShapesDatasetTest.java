package ai.crate.patchify.shapes;

import ai.crate.patchify.DecodedImage;
import ai.crate.patchify.PreprocessSpec;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShapesDatasetTest {
    private static final PreprocessSpec SPEC = PreprocessSpec.imagenet(64);

    @Test
    void imagesAreDeterministicBalancedAndDifferBetweenSeeds() {
        ShapesDataset a = new ShapesDataset(20, 1, 128, SPEC);
        ShapesDataset again = new ShapesDataset(20, 1, 128, SPEC);
        ShapesDataset other = new ShapesDataset(20, 2, 128, SPEC);
        float[] x = new float[SPEC.imageFloats()];
        float[] y = new float[SPEC.imageFloats()];
        float[] z = new float[SPEC.imageFloats()];
        a.image(7, x, 0);
        again.image(7, y, 0);
        other.image(7, z, 0);
        assertThat(x).containsExactly(y);
        assertThat(x).isNotEqualTo(z);
        int[] counts = new int[10];
        for (int i = 0; i < a.size(); i++) {
            counts[a.label(i)]++;
            assertThat(a.scene(i).shape().ordinal()).isEqualTo(a.label(i));
        }
        assertThat(counts).containsOnly(2);
        assertThat(ShapeClass.labels()).hasSize(10).startsWith("circle").endsWith("checker");
    }

    @Test
    void everyClassDrawsSomethingThatDiffersFromTheBackground() {
        for (ShapeClass shape : ShapeClass.values()) {
            ShapeScene scene = new ShapeScene(shape, 0.5, 0.5, 0.5, 0.3, 0xFF0000, 0x00FF00, 0x000080, 0x000080,
                    1, 0);
            DecodedImage image = ShapeRenderer.render(scene, 64, 64);
            int red = 0;
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    red += image.value(x, y, 0) > 128 ? 1 : 0;
                }
            }
            assertThat(red).as("%s: pixels in the shape's red", shape).isGreaterThan(64 * 64 / 50);
        }
    }

    @Test
    void clipsKeepOneShapePerSegmentAndMoveIt() {
        ShapesClip clip = new ShapesClip(3, 96, 12);
        assertThat(clip.label(0)).isEqualTo(clip.label(11));
        DecodedImage first = clip.frame(0);
        DecodedImage later = clip.frame(11);
        boolean moved = false;
        for (int i = 0; i < first.pixels().length && !moved; i++) {
            moved = first.pixels()[i] != later.pixels()[i];
        }
        assertThat(moved).isTrue();
    }

    @Test
    void badSpecsAreNamed() {
        assertThatThrownBy(() -> ShapesDataset.parse("squares:10", 128, SPEC)).hasMessageContaining("unknown dataset");
        assertThatThrownBy(() -> ShapesDataset.parse("shapes:ten", 128, SPEC))
                .hasMessageContaining("must be whole numbers");
        assertThatThrownBy(() -> new ShapesDataset(0, 1, 128, SPEC)).hasMessageContaining("at least one image");
    }
}
