package ai.crate.flink;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The labelled frames a fine-tune learns from, bounded and balanced by class: at most {@code perClass} frames per
 * label, a label's oldest frame making room for its newest, so a flood of one class cannot crowd out the others.
 * {@link #holdout} puts a stable fraction of frames aside (by their camera and seq, so a frame stays on its side
 * across restarts) for judging candidates. {@link #contents} and {@link #restore} carry it through Flink state. Not
 * thread-safe: the job's stream thread owns it.
 */
final class ReplayBuffer {
    private final int perClass;
    private final Map<String, Deque<LabelledFrame>> byLabel = new TreeMap<>();
    private long added;

    ReplayBuffer(int perClass) {
        if (perClass < 1) {
            throw new IllegalArgumentException("the replay buffer needs room for at least one frame per class, got "
                    + perClass);
        }
        this.perClass = perClass;
    }

    /** A buffer holding {@code frames} (from state), oldest first, within the bound. */
    static ReplayBuffer restore(int perClass, Iterable<LabelledFrame> frames) {
        ReplayBuffer buffer = new ReplayBuffer(perClass);
        frames.forEach(buffer::add);
        buffer.added = 0;
        return buffer;
    }

    /** Adds a frame; returns the frame it displaced, or null. */
    LabelledFrame add(LabelledFrame frame) {
        Deque<LabelledFrame> frames = byLabel.computeIfAbsent(frame.label, label -> new ArrayDeque<>());
        frames.addLast(frame);
        added++;
        return frames.size() > perClass ? frames.removeFirst() : null;
    }

    /** Frames added since this buffer was made or restored (what triggers a fine-tune every N labels). */
    long added() {
        return added;
    }

    int size() {
        return byLabel.values().stream().mapToInt(Deque::size).sum();
    }

    /** Frames per label, labels in order. */
    Map<String, Integer> counts() {
        Map<String, Integer> counts = new TreeMap<>();
        byLabel.forEach((label, frames) -> counts.put(label, frames.size()));
        return counts;
    }

    /** Every frame, label by label, oldest first within a label. */
    List<LabelledFrame> contents() {
        List<LabelledFrame> all = new ArrayList<>();
        byLabel.values().forEach(all::addAll);
        return all;
    }

    /** Whether {@code frame} belongs to the holdout of about {@code fraction} of all frames. */
    static boolean holdout(LabelledFrame frame, double fraction) {
        long h = (frame.cameraId.hashCode() * 0x9E3779B97F4A7C15L) ^ (frame.seq * 0xC2B2AE3D27D4EB4FL);
        h ^= h >>> 31;
        h *= 0x94D049BB133111EBL;
        h ^= h >>> 29;
        return (h >>> 11) * 0x1.0p-53 < fraction;
    }
}
