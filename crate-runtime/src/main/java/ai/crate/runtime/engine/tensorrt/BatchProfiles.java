package ai.crate.runtime.engine.tensorrt;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * TensorRT optimisation profiles for the batch sizes asked for: one profile per size {@code b}, covering the batches
 * above the previous size up to {@code b} and tuned for {@code b}. For sizes 1, 8, 32: [1..1], [2..8], [9..32].
 * A batch runs on the smallest profile that holds it.
 */
public final class BatchProfiles {
    /** One profile: batches {@code min..max}, tuned for {@code opt}. */
    public record Profile(int index, int min, int opt, int max) {
    }

    private final List<Profile> profiles;

    private BatchProfiles(List<Profile> profiles) {
        this.profiles = List.copyOf(profiles);
    }

    public static BatchProfiles of(List<Integer> batchSizes) {
        if (batchSizes.isEmpty()) {
            throw new IllegalArgumentException("give at least one batch size, e.g. 1,8,32");
        }
        TreeSet<Integer> sizes = new TreeSet<>();
        for (int size : batchSizes) {
            if (size < 1 || size > 4096) {
                throw new IllegalArgumentException("batch size " + size + " is out of range 1..4096");
            }
            sizes.add(size);
        }
        List<Profile> profiles = new ArrayList<>();
        int previous = 0;
        for (int size : sizes) {
            profiles.add(new Profile(profiles.size(), previous + 1, size, size));
            previous = size;
        }
        return new BatchProfiles(profiles);
    }

    public List<Profile> profiles() {
        return profiles;
    }

    public int maxBatch() {
        return profiles.get(profiles.size() - 1).max();
    }

    /** The profile that runs {@code batch}; fails if it is larger than the largest profile. */
    public Profile forBatch(int batch) {
        for (Profile profile : profiles) {
            if (batch >= profile.min() && batch <= profile.max()) {
                return profile;
            }
        }
        throw new IllegalArgumentException("batch " + batch + " exceeds the largest optimisation profile ("
                + maxBatch() + "); rebuild with --batch including " + batch);
    }

    /** A stable text form for cache keys, e.g. {@code 1-1/2-8/9-32}. */
    public String key() {
        return profiles.stream().map(p -> p.min() + "-" + p.max()).collect(Collectors.joining("/"));
    }
}
