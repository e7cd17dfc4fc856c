package ai.crate.ingest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Ground truth for evaluation feeds: none, one label for every frame, or one per frame of the source (line
 * {@code i} of a labels file for the {@code i}-th frame read, counting from 0, before any {@code --fps} skipping).
 */
public final class FrameLabels {
    private static final FrameLabels NONE = new FrameLabels(null, List.of());
    private final String constant;
    private final List<String> perFrame;

    private FrameLabels(String constant, List<String> perFrame) {
        this.constant = constant;
        this.perFrame = perFrame;
    }

    public static FrameLabels none() {
        return NONE;
    }

    public static FrameLabels constant(String label) {
        if (label == null || label.isBlank()) {
            throw new IllegalArgumentException("a label must not be blank; leave it out for frames without one");
        }
        return new FrameLabels(label, List.of());
    }

    /** One label per line; blank lines mean "no label" for that frame. */
    public static FrameLabels read(Path file) throws IngestException {
        try {
            return new FrameLabels(null, List.copyOf(Files.readAllLines(file, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new IngestException("cannot read the labels file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The label of the source's frame {@code index}, or null. */
    public String of(long index) {
        if (constant != null) {
            return constant;
        }
        if (index < perFrame.size()) {
            String label = perFrame.get((int) index).trim();
            return label.isEmpty() ? null : label;
        }
        return null;
    }
}
