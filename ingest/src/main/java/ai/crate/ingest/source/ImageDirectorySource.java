package ai.crate.ingest.source;

import ai.crate.ingest.IngestException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;

/**
 * The images of one directory (JPEG, PNG, BMP), in file-name order, optionally looping. Stream time advances by one
 * frame period of 25 frames/s per image. A file that cannot be decoded ends the source with an error naming it.
 */
public final class ImageDirectorySource implements FrameSource {
    private static final long FRAME_MICROS = 40_000;
    private final Path directory;
    private final List<Path> files;
    private final boolean loop;
    private final Mat decoded = new Mat();
    private int next;
    private long index;

    private ImageDirectorySource(Path directory, List<Path> files, boolean loop) {
        this.directory = directory;
        this.files = files;
        this.loop = loop;
    }

    public static ImageDirectorySource open(SourceSettings settings) throws IngestException {
        Path directory = Uris.localPath(settings.uri()).orElseThrow(
                () -> new IngestException(settings.uri() + " is not a local directory"));
        List<Path> files;
        try (Stream<Path> listing = Files.list(directory)) {
            files = listing.filter(Files::isRegularFile).filter(ImageDirectorySource::isImage).sorted().toList();
        } catch (IOException e) {
            throw new IngestException("cannot list image directory " + directory + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new IngestException("image directory " + directory + " has no .jpg, .jpeg, .png or .bmp files");
        }
        return new ImageDirectorySource(directory, files, settings.loop());
    }

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".jpg") || name.endsWith(".jpeg") || name.endsWith(".png") || name.endsWith(".bmp");
    }

    @Override
    public SourceFrame grab() throws IngestException {
        if (next == files.size()) {
            if (!loop) {
                return null;
            }
            next = 0;
        }
        Path file = files.get(next++);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IngestException("cannot read " + file + ": " + e.getMessage(), e);
        }
        boolean ok;
        try (BytePointer pointer = new BytePointer(bytes); Mat encoded = new Mat(1, bytes.length, CV_8UC1, pointer);
             Mat result = imdecode(encoded, IMREAD_COLOR, decoded)) {
            ok = !result.empty();
        }
        if (!ok) {
            throw new IngestException(file + " is not an image OpenCV can decode");
        }
        boolean jpeg = bytes.length > 2 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8;
        return new SourceFrame(decoded, FRAME_MICROS * index++, jpeg ? bytes : null);
    }

    @Override
    public boolean isLive() {
        return false;
    }

    @Override
    public String uri() {
        return directory.toString();
    }

    @Override
    public long declaredFrames() {
        return loop ? -1 : files.size();
    }

    @Override
    public double frameRate() {
        return 1e6 / FRAME_MICROS;
    }

    @Override
    public void close() {
        decoded.close();
    }

    /** Registers directories of images. */
    public static final class Provider implements FrameSourceProvider {
        @Override
        public String name() {
            return "image-directory";
        }

        @Override
        public boolean supports(String uri) {
            return Uris.localPath(uri).map(Files::isDirectory).orElse(false);
        }

        @Override
        public FrameSource open(SourceSettings settings) throws IngestException {
            return ImageDirectorySource.open(settings);
        }
    }
}
