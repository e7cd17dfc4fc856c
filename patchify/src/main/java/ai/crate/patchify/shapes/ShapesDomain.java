package ai.crate.patchify.shapes;

import ai.crate.patchify.DecodedImage;

/**
 * The look of the shapes pictures: {@link #STANDARD}, what the demo model was trained on, or {@link #SHIFTED}, the
 * same scenes as a different camera would see them: inverted brightness, red and blue swapped, and a grey grid over
 * everything (a new palette and background, the same shapes). The demo model scores 0.97 top-1 on {@code
 * shapes:500:7} and 0.48 on {@code shapes-shifted:500:7}; the shifted domain drives the drift and fine-tuning tests.
 */
public enum ShapesDomain {
    STANDARD("shapes"), SHIFTED("shapes-shifted");

    private final String prefix;

    ShapesDomain(String prefix) {
        this.prefix = prefix;
    }

    /** The dataset name: {@code shapes} or {@code shapes-shifted}. */
    public String prefix() {
        return prefix;
    }

    /** The picture as this domain shows it (the same array for {@link #STANDARD}, a new one otherwise). */
    public DecodedImage apply(DecodedImage picture) {
        if (this == STANDARD) {
            return picture;
        }
        byte[] in = picture.pixels();
        byte[] out = new byte[in.length];
        int channels = in.length / (picture.width() * picture.height());
        for (int p = 0; p + channels - 1 < in.length; p += channels) {
            if (channels == 3) {
                out[p] = (byte) (255 - (in[p + 2] & 0xFF));
                out[p + 1] = (byte) (255 - (in[p + 1] & 0xFF));
                out[p + 2] = (byte) (255 - (in[p] & 0xFF));
            } else {
                for (int c = 0; c < channels; c++) {
                    out[p + c] = (byte) (255 - (in[p + c] & 0xFF));
                }
            }
        }
        int pitch = Math.max(4, picture.width() / 12);
        for (int y = 0; y < picture.height(); y++) {
            for (int x = 0; x < picture.width(); x++) {
                if (x % pitch < pitch / 5 || y % pitch < pitch / 5) {
                    int p = (y * picture.width() + x) * channels;
                    for (int c = 0; c < channels; c++) {
                        out[p + c] = (byte) ((out[p + c] & 0xFF) / 2 + 64);
                    }
                }
            }
        }
        return new DecodedImage(picture.width(), picture.height(), picture.order(), out);
    }
}
