package ai.crate.patchify;

/**
 * A reusable float32 {@code [capacity, 3, H, W]} buffer that prepared images are written into slot by slot, then
 * handed to an engine as {@code (array(), size())}. {@link #clear()} starts the next batch in the same array.
 */
public final class ImageBatch {
    private final float[] data;
    private final int imageFloats;
    private final int capacity;
    private int size;

    public ImageBatch(int capacity, PreprocessSpec spec) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("batch capacity must be positive, got " + capacity);
        }
        this.capacity = capacity;
        this.imageFloats = spec.imageFloats();
        this.data = new float[Math.multiplyExact(capacity, imageFloats)];
    }

    /** Prepares {@code image} into the next slot and returns its index. */
    public int add(DecodedImage image, Preprocessor preprocessor) {
        requireRoom();
        preprocessor.preprocess(image, data, size * imageFloats);
        return size++;
    }

    /** Decodes and prepares {@code frame} into the next slot; on failure the batch is left as it was. */
    public int add(EncodedFrame frame, Patchifier patchifier) throws PatchifyException {
        requireRoom();
        patchifier.patchify(frame, data, size * imageFloats);
        return size++;
    }

    /** Claims the next {@code count} slots for a caller that writes them itself and returns the first. */
    int reserve(int count) {
        if (count > capacity - size) {
            throw new IllegalStateException("batch has room for " + (capacity - size) + " more images, not " + count);
        }
        int first = size;
        size += count;
        return first;
    }

    /** Keeps only the images before slot {@code newSize}. */
    void truncate(int newSize) {
        if (newSize < 0 || newSize > size) {
            throw new IllegalArgumentException("cannot truncate a batch of " + size + " images to " + newSize);
        }
        size = newSize;
    }

    int imageFloats() {
        return imageFloats;
    }

    private void requireRoom() {
        if (size == capacity) {
            throw new IllegalStateException("batch is full (" + capacity + " images); clear it first");
        }
    }

    public boolean isFull() {
        return size == capacity;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }

    /** The backing array; images {@code 0 .. size()-1} are valid. */
    public float[] array() {
        return data;
    }

    public void clear() {
        size = 0;
    }
}
