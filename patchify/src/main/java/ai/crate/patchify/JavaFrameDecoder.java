package ai.crate.patchify;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * The reference decoder, in plain Java: JPEG and PNG through the JDK's ImageIO, raw formats by formula. Slower than
 * {@link OpenCvFrameDecoder}; it is the independent path the fast one is tested against. ImageIO's JPEG decoder may
 * differ from libjpeg-turbo by a level or two on some pixels; PNG and raw frames decode to identical bytes.
 */
public final class JavaFrameDecoder implements FrameDecoder {

    @Override
    public DecodedImage decode(EncodedFrame frame) throws PatchifyException {
        frame.requireWellFormed();
        return switch (frame.format()) {
            case JPEG, PNG -> decodeCompressed(frame);
            case BGR24 -> new DecodedImage(frame.width(), frame.height(), ChannelOrder.BGR, frame.data());
            case RGB24 -> new DecodedImage(frame.width(), frame.height(), ChannelOrder.RGB, frame.data());
            case GRAY8 -> grayToRgb(frame);
            case I420, NV12 -> {
                byte[] rgb = new byte[3 * frame.width() * frame.height()];
                YuvToRgb.convert(frame, rgb);
                yield new DecodedImage(frame.width(), frame.height(), ChannelOrder.RGB, rgb);
            }
        };
    }

    private static DecodedImage decodeCompressed(EncodedFrame frame) throws PatchifyException {
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(frame.data()));
        } catch (IOException | RuntimeException e) {
            throw new PatchifyException(frame.format() + " frame of " + frame.data().length
                    + " bytes cannot be decoded: " + e.getMessage(), e);
        }
        if (image == null) {
            throw new PatchifyException(frame.format() + " frame of " + frame.data().length
                    + " bytes is not an image ImageIO can read");
        }
        int width = image.getWidth();
        int height = image.getHeight();
        byte[] rgb = new byte[3 * width * height];
        if (image.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            return grayRasterToRgb(image, rgb);
        }
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            image.getRGB(0, y, width, 1, row, 0, width);
            for (int x = 0; x < width; x++) {
                int argb = row[x];
                int at = (y * width + x) * 3;
                rgb[at] = (byte) (argb >> 16);
                rgb[at + 1] = (byte) (argb >> 8);
                rgb[at + 2] = (byte) argb;
            }
        }
        return new DecodedImage(width, height, ChannelOrder.RGB, rgb);
    }

    /** Gray pixels straight from the raster: {@code getRGB} would apply a gamma conversion to them. */
    private static DecodedImage grayRasterToRgb(BufferedImage image, byte[] rgb) {
        int width = image.getWidth();
        int height = image.getHeight();
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            image.getRaster().getSamples(0, y, width, 1, 0, row);
            for (int x = 0; x < width; x++) {
                byte value = (byte) row[x];
                int at = (y * width + x) * 3;
                rgb[at] = value;
                rgb[at + 1] = value;
                rgb[at + 2] = value;
            }
        }
        return new DecodedImage(width, height, ChannelOrder.RGB, rgb);
    }

    private static DecodedImage grayToRgb(EncodedFrame frame) {
        byte[] gray = frame.data();
        byte[] rgb = new byte[3 * gray.length];
        for (int i = 0; i < gray.length; i++) {
            rgb[3 * i] = gray[i];
            rgb[3 * i + 1] = gray[i];
            rgb[3 * i + 2] = gray[i];
        }
        return new DecodedImage(frame.width(), frame.height(), ChannelOrder.RGB, rgb);
    }

    @Override
    public void close() {
    }
}
