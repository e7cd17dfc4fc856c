package ai.crate.patchify;

import ai.crate.runtime.npy.Npy;
import ai.crate.runtime.npy.NpyArray;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

/** The photographs and torchvision references written by {@code src/test/python/make_preprocess_fixtures.py}. */
final class Photos {
    /** Photo name, file name. */
    static final List<String[]> ALL = List.of(
            new String[]{"chelsea", "chelsea.png"},
            new String[]{"rocket", "rocket.jpg"},
            new String[]{"coffee", "coffee.jpg"},
            new String[]{"camera", "camera.jpg"});

    private Photos() {
    }

    static EncodedFrame frame(String file) {
        FrameFormat format = file.endsWith(".png") ? FrameFormat.PNG : FrameFormat.JPEG;
        return EncodedFrame.compressed(format, bytes(file));
    }

    static byte[] bytes(String file) {
        try (InputStream in = Photos.class.getResourceAsStream("/photos/" + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource photos/" + file);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** torchvision's uint8 RGB result on the PIL image, as {@code [224][224][3]} values. */
    static int[][][] torchvision(String name) throws IOException {
        try (InputStream in = Photos.class.getResourceAsStream("/photos/" + name + ".torchvision.png")) {
            BufferedImage image = ImageIO.read(in);
            int[][][] rgb = new int[image.getHeight()][image.getWidth()][3];
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    int argb = image.getRGB(x, y);
                    rgb[y][x][0] = (argb >> 16) & 0xFF;
                    rgb[y][x][1] = (argb >> 8) & 0xFF;
                    rgb[y][x][2] = argb & 0xFF;
                }
            }
            return rgb;
        }
    }

    /** {@code [n][4]}: channel, row, column, value of torchvision's float tensor path. */
    static double[][] tensorSamples(String name) throws Exception {
        NpyArray array = Npy.read(path(name + ".tensor-samples.npy"));
        float[] flat = array.toFloats();
        int n = array.shape()[0];
        double[][] out = new double[n][4];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 4; k++) {
                out[i][k] = flat[4 * i + k];
            }
        }
        return out;
    }

    private static Path path(String file) throws URISyntaxException {
        return Path.of(Photos.class.getResource("/photos/" + file).toURI());
    }
}
