package ai.crate.patchify;

import ai.crate.runtime.train.TrainingSet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * A directory of class folders ({@code DIR/<class>/<image>.jpg|.png}), as torchvision's {@code ImageFolder}: classes
 * in sorted name order are labels 0, 1, ...; each image is decoded and prepared by {@link Patchifier#fast} on use. A
 * file that cannot be decoded fails the read with its path.
 */
public final class ImageFolderTrainingSet implements TrainingSet {
    private final Path root;
    private final List<String> classes;
    private final List<Path> files;
    private final int[] labels;
    private final PreprocessSpec spec;
    private final ThreadLocal<Patchifier> patchifiers;

    private ImageFolderTrainingSet(Path root, List<String> classes, List<Path> files, int[] labels,
                                   PreprocessSpec spec) {
        this.root = root;
        this.classes = classes;
        this.files = files;
        this.labels = labels;
        this.spec = spec;
        this.patchifiers = ThreadLocal.withInitial(() -> Patchifier.fast(spec));
    }

    /** Lists {@code root}; fails if it has no class folders or no images. */
    public static ImageFolderTrainingSet open(Path root, PreprocessSpec spec) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException(root + " is not a directory of class folders");
        }
        List<String> classes;
        try (Stream<Path> listing = Files.list(root)) {
            classes = listing.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
        if (classes.isEmpty()) {
            throw new IOException(root + " has no class folders (expected " + root + "/<class>/<image>.jpg)");
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            try (Stream<Path> listing = Files.list(root.resolve(classes.get(c)))) {
                for (Path file : listing.filter(ImageFolderTrainingSet::isImage).sorted().toList()) {
                    files.add(file);
                    labels.add(c);
                }
            }
        }
        if (files.isEmpty()) {
            throw new IOException(root + " has class folders but no .jpg, .jpeg or .png images in them");
        }
        return new ImageFolderTrainingSet(root, classes, files, labels.stream().mapToInt(Integer::intValue).toArray(),
                spec);
    }

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(file) && (name.endsWith(".jpg") || name.endsWith(".jpeg") || name.endsWith(".png"));
    }

    /** The class names in label order. */
    public List<String> classes() {
        return classes;
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public int imageFloats() {
        return spec.imageFloats();
    }

    @Override
    public void image(int index, float[] out, int offset) {
        Path file = files.get(index);
        try {
            byte[] bytes = Files.readAllBytes(file);
            FrameFormat format = file.toString().toLowerCase(Locale.ROOT).endsWith(".png") ? FrameFormat.PNG
                    : FrameFormat.JPEG;
            patchifiers.get().patchify(EncodedFrame.compressed(format, bytes), out, offset);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (PatchifyException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public String describe() {
        return root + " (" + classes.size() + " classes, " + files.size() + " images)";
    }
}
