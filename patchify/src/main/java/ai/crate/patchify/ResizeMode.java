package ai.crate.patchify;

/** How a frame is brought to the model's size. */
public enum ResizeMode {
    /** torchvision's {@code Resize(s)} (shorter side to s, aspect kept) then {@code CenterCrop}: the default. */
    SHORTER_SIDE,
    /** Both sides straight to the crop size, aspect not kept, nothing cropped. */
    SQUASH
}
