package ai.crate.ops.cli;

import ai.crate.ingest.video.VideoWriter;
import ai.crate.patchify.shapes.ShapeClass;
import ai.crate.patchify.shapes.ShapesClip;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code crate shapes-video}: a clip of moving shapes (H.264 .mp4 or MJPEG .avi) and its per-frame ground truth
 * ({@code <clip>.labels.txt}, one class name per frame), for the demo and for pipeline tests.
 */
@Command(name = "shapes-video", mixinStandardHelpOptions = true,
        description = "Writes a video of moving shapes and its ground truth, one class name per frame in"
                + " <OUT>.labels.txt.")
final class ShapesVideoCommand implements Callable<Integer> {

    @Option(names = "--output", required = true, paramLabel = "OUT.mp4|OUT.avi", description = "The video file.")
    Path output;

    @Option(names = "--frames", defaultValue = "250", description = "Frames (default: ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--size", defaultValue = "256",
            description = "Width and height in pixels (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--fps", defaultValue = "25", description = "Frame rate (default: ${DEFAULT-VALUE}).")
    double fps;

    @Option(names = "--frames-per-shape", defaultValue = "50",
            description = "Frames before the shape changes (default: ${DEFAULT-VALUE}).")
    int framesPerShape;

    @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (frames < 1) {
            throw new IllegalArgumentException("--frames must be at least 1, got " + frames);
        }
        ShapesClip clip = new ShapesClip(seed, size, framesPerShape);
        List<String> labels = new ArrayList<>(frames);
        List<String> names = ShapeClass.labels();
        try (VideoWriter writer = new VideoWriter(output, size, size, fps)) {
            for (int i = 0; i < frames; i++) {
                writer.write(clip.frame(i));
                labels.add(names.get(clip.label(i)));
            }
        }
        Path labelFile = output.resolveSibling(output.getFileName() + ".labels.txt");
        Files.write(labelFile, labels, StandardCharsets.UTF_8);
        System.out.println("wrote " + output + " (" + frames + " frames of " + size + "x" + size + ") and "
                + labelFile);
        return 0;
    }
}
