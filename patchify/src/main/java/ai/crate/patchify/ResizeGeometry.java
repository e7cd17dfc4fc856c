package ai.crate.patchify;

/**
 * Where the output pixels come from for one input size: the resized size (torchvision's rule: shorter side to the
 * target, longer side truncated) and the crop's offset in the resized image (torchvision's {@code CenterCrop}:
 * Python's round-half-even, and zero padding when the crop is larger than the image).
 */
record ResizeGeometry(int resizedWidth, int resizedHeight, int cropLeft, int cropTop, int cropWidth, int cropHeight) {

    static ResizeGeometry of(int inputWidth, int inputHeight, PreprocessSpec spec) {
        int cropWidth = spec.cropWidth();
        int cropHeight = spec.cropHeight();
        if (spec.mode() == ResizeMode.SQUASH) {
            return new ResizeGeometry(cropWidth, cropHeight, 0, 0, cropWidth, cropHeight);
        }
        int target = spec.preprocessing().resize();
        int resizedWidth;
        int resizedHeight;
        if (inputWidth <= inputHeight) {
            resizedWidth = target;
            resizedHeight = (int) ((long) target * inputHeight / inputWidth);
        } else {
            resizedHeight = target;
            resizedWidth = (int) ((long) target * inputWidth / inputHeight);
        }
        return new ResizeGeometry(resizedWidth, resizedHeight, cropOffset(resizedWidth, cropWidth),
                cropOffset(resizedHeight, cropHeight), cropWidth, cropHeight);
    }

    private static int cropOffset(int size, int crop) {
        if (size < crop) {
            return -((crop - size) / 2);
        }
        return (int) Math.rint((size - crop) / 2.0);
    }
}
