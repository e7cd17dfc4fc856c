package ai.crate.patchify;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageFolderTrainingSetTest {
    @TempDir
    Path root;

    @Test
    void classesInNameOrderImagesPreparedLikeLiveFrames() throws Exception {
        Files.createDirectories(root.resolve("b-rocket"));
        Files.createDirectories(root.resolve("a-coffee"));
        Files.write(root.resolve("a-coffee/1.jpg"), Photos.bytes("coffee.jpg"));
        Files.write(root.resolve("b-rocket/1.jpg"), Photos.bytes("rocket.jpg"));
        Files.write(root.resolve("b-rocket/notes.txt"), new byte[] {1});
        PreprocessSpec spec = PreprocessSpec.imagenet(224);
        ImageFolderTrainingSet set = ImageFolderTrainingSet.open(root, spec);
        assertThat(set.classes()).containsExactly("a-coffee", "b-rocket");
        assertThat(set.size()).isEqualTo(2);
        assertThat(set.label(1)).isEqualTo(1);
        float[] image = new float[spec.imageFloats()];
        set.image(1, image, 0);
        try (Patchifier patchifier = Patchifier.fast(spec)) {
            assertThat(image).containsExactly(patchifier.patchify(Photos.frame("rocket.jpg")));
        }
    }

    @Test
    void emptyOrBrokenFoldersAreNamed() throws Exception {
        assertThatThrownBy(() -> ImageFolderTrainingSet.open(root, PreprocessSpec.imagenet(32)))
                .hasMessageContaining("has no class folders");
        Files.createDirectories(root.resolve("cats"));
        assertThatThrownBy(() -> ImageFolderTrainingSet.open(root, PreprocessSpec.imagenet(32)))
                .hasMessageContaining("no .jpg, .jpeg or .png images");
        Files.write(root.resolve("cats/broken.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2});
        ImageFolderTrainingSet set = ImageFolderTrainingSet.open(root, PreprocessSpec.imagenet(32));
        assertThatThrownBy(() -> set.image(0, new float[3 * 32 * 32], 0))
                .hasMessageContaining("broken.jpg").hasMessageContaining("truncated");
    }
}
