package ai.crate.flink;

import ai.crate.patchify.EncodedFrame;
import ai.crate.patchify.FrameFormat;
import ai.crate.patchify.PatchifyException;
import ai.crate.patchify.Patchifier;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.runtime.train.TrainingSet;

import java.util.ArrayList;
import java.util.List;

/**
 * Labelled frames decoded and prepared for one model, once, as a {@link TrainingSet}. Frames that cannot be decoded or
 * carry a label the model does not have are left out and counted ({@link #skipped}), so one bad frame never stops a
 * fine-tune. Usage: {@code FeedbackFrames.prepare(frames, model.labels(), spec, "feedback")}.
 */
final class FeedbackFrames implements TrainingSet {
    private final List<float[]> images;
    private final int[] labels;
    private final int imageFloats;
    private final String description;
    private final List<String> skipped;

    private FeedbackFrames(List<float[]> images, int[] labels, int imageFloats, String description,
                           List<String> skipped) {
        this.images = images;
        this.labels = labels;
        this.imageFloats = imageFloats;
        this.description = description;
        this.skipped = skipped;
    }

    /** Decodes and prepares {@code frames} with {@code spec}; {@code classes} gives each label's index. */
    static FeedbackFrames prepare(List<LabelledFrame> frames, List<String> classes, PreprocessSpec spec,
                                  String description) {
        List<float[]> images = new ArrayList<>(frames.size());
        List<Integer> labels = new ArrayList<>(frames.size());
        List<String> skipped = new ArrayList<>();
        try (Patchifier patchifier = Patchifier.fast(spec)) {
            for (LabelledFrame frame : frames) {
                String key = frame.cameraId + "/" + frame.seq;
                int label = classes.indexOf(frame.label);
                if (label < 0) {
                    skipped.add(key + ": label '" + frame.label + "' is not one of the model's " + classes.size()
                            + " classes");
                    continue;
                }
                try {
                    images.add(patchifier.patchify(new EncodedFrame(FrameFormat.valueOf(frame.encoding), frame.width,
                            frame.height, frame.data)));
                    labels.add(label);
                } catch (PatchifyException | IllegalArgumentException e) {
                    skipped.add(key + ": " + e.getMessage());
                }
            }
        }
        return new FeedbackFrames(images, labels.stream().mapToInt(Integer::intValue).toArray(), spec.imageFloats(),
                description + ":" + images.size(), skipped);
    }

    /** Why each left-out frame was left out. */
    List<String> skipped() {
        return skipped;
    }

    @Override
    public int size() {
        return images.size();
    }

    @Override
    public int imageFloats() {
        return imageFloats;
    }

    @Override
    public void image(int index, float[] out, int offset) {
        System.arraycopy(images.get(index), 0, out, offset, imageFloats);
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    @Override
    public String describe() {
        return description;
    }
}
