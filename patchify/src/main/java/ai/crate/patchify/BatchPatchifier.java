package ai.crate.patchify;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decodes and prepares a whole batch of frames at once, on the calling thread and {@code threads - 1} helpers, each
 * with its own {@link Patchifier}. Meant for a batch prepared just before it runs, between two engine passes that
 * keep every core busy: the frames are then prepared that many times faster. Use it from one thread at a time; close
 * it to stop the helpers and free the decoders.
 */
public final class BatchPatchifier implements AutoCloseable {
    private final Patchifier[] patchifiers;
    private final ExecutorService helpers;
    private final AtomicInteger next = new AtomicInteger();
    private final List<Future<?>> running = new ArrayList<>();

    /** What became of one frame: the time it took, and why it was refused (null when it was prepared). */
    public record Outcome(double millis, Exception failure) {
        public boolean prepared() {
            return failure == null;
        }
    }

    /** Fast patchifiers ({@link Patchifier#fast}) on {@code threads} threads, the caller's included. */
    public BatchPatchifier(PreprocessSpec spec, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("patchify threads must be >= 1, got " + threads);
        }
        patchifiers = new Patchifier[threads];
        for (int i = 0; i < threads; i++) {
            patchifiers[i] = Patchifier.fast(spec);
        }
        AtomicInteger named = new AtomicInteger();
        helpers = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, task -> {
            Thread thread = new Thread(task, "crate-patchify-" + named.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    public PreprocessSpec spec() {
        return patchifiers[0].spec();
    }

    /**
     * Prepares {@code frames} into {@code batch}'s next slots in their order. A frame that cannot be decoded or has
     * the wrong size takes no slot: the prepared ones stay consecutive. Returns one outcome per frame, in order.
     *
     * @throws IllegalStateException when the batch has no room for every frame
     */
    public List<Outcome> addAll(List<EncodedFrame> frames, ImageBatch batch) {
        if (batch.imageFloats() != spec().imageFloats()) {
            throw new IllegalArgumentException("the batch holds images of " + batch.imageFloats() + " floats, this"
                    + " patchifier makes " + spec().imageFloats());
        }
        int count = frames.size();
        int first = batch.reserve(count);
        Outcome[] outcomes = new Outcome[count];
        next.set(0);
        running.clear();
        int workers = Math.min(patchifiers.length, count);
        try {
            try {
                for (int worker = 1; worker < workers; worker++) {
                    int w = worker;
                    running.add(helpers.submit(() -> drain(w, frames, batch, first, outcomes)));
                }
                drain(0, frames, batch, first, outcomes);
            } finally {
                awaitHelpers();
            }
        } catch (RuntimeException | Error e) {
            batch.truncate(first);
            throw e;
        }
        int kept = first;
        int floats = batch.imageFloats();
        for (int i = 0; i < count; i++) {
            if (outcomes[i].prepared()) {
                if (kept != first + i) {
                    System.arraycopy(batch.array(), (first + i) * floats, batch.array(), kept * floats, floats);
                }
                kept++;
            }
        }
        batch.truncate(kept);
        return List.of(outcomes);
    }

    private void drain(int worker, List<EncodedFrame> frames, ImageBatch batch, int first, Outcome[] outcomes) {
        Patchifier patchifier = patchifiers[worker];
        int floats = batch.imageFloats();
        for (int i = next.getAndIncrement(); i < frames.size(); i = next.getAndIncrement()) {
            long start = System.nanoTime();
            Exception failure = null;
            try {
                patchifier.patchify(frames.get(i), batch.array(), (first + i) * floats);
            } catch (PatchifyException | IllegalArgumentException e) {
                failure = e;
            } catch (RuntimeException e) {
                failure = new PatchifyException("frame could not be prepared: " + e, e);
            }
            outcomes[i] = new Outcome((System.nanoTime() - start) / 1e6, failure);
        }
    }

    /** Waits for every helper of this call, so none still writes the batch; rethrows a helper's unexpected failure. */
    private void awaitHelpers() {
        boolean interrupted = false;
        RuntimeException failure = null;
        for (Future<?> helper : running) {
            while (true) {
                try {
                    helper.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof Error error) {
                        throw error;
                    }
                    failure = cause instanceof RuntimeException r ? r
                            : new IllegalStateException("patchify helper failed", cause);
                    break;
                }
            }
        }
        running.clear();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Stops the helpers and frees every decoder. */
    @Override
    public void close() {
        if (helpers != null) {
            helpers.shutdown();
            try {
                helpers.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Patchifier patchifier : patchifiers) {
            patchifier.close();
        }
    }
}
