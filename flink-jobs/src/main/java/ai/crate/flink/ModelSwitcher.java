package ai.crate.flink;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Loads announced model versions on a background thread, in the order they were announced, so the stream thread
 * never waits for a bundle to be read, verified or warmed. The stream thread calls {@link #request} for each
 * announcement and {@link #poll} between batches; a finished load comes back as an {@link Outcome} holding either
 * the new model or the reason it was refused. Not thread-safe: one stream thread uses it.
 */
public final class ModelSwitcher implements AutoCloseable {
    private final Loader loader;
    private final ExecutorService executor;
    private final Duration closeWait;
    private final Deque<Load> loads = new ArrayDeque<>();
    private volatile boolean closed;

    /** Builds a ready model from an announcement, or says why it cannot. */
    @FunctionalInterface
    public interface Loader {
        ServingModel load(ModelAnnouncement announcement) throws ModelRefusedException;
    }

    /** A finished load: {@code model} is set when it succeeded, {@code reason} when it was refused. */
    public record Outcome(ModelAnnouncement announcement, ServingModel model, String reason) {
        public boolean accepted() {
            return model != null;
        }
    }

    private record Load(ModelAnnouncement announcement, Future<ServingModel> future) {
    }

    public ModelSwitcher(Loader loader, String threadName) {
        this(loader, threadName, Duration.ofSeconds(30));
    }

    /** As above; {@link #close} waits up to {@code closeWait} for a load in progress. */
    ModelSwitcher(Loader loader, String threadName, Duration closeWait) {
        this.loader = loader;
        this.closeWait = closeWait;
        this.executor = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, threadName);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Starts loading {@code announcement} after those already requested. */
    public void request(ModelAnnouncement announcement) {
        loads.add(new Load(announcement, executor.submit(() -> load(announcement))));
    }

    /** Loads on the background thread; a model that finishes loading after {@link #close} closes itself. */
    private ServingModel load(ModelAnnouncement announcement) throws ModelRefusedException {
        ServingModel model = loader.load(announcement);
        if (closed) {
            model.close();
            throw new ModelRefusedException("the job stopped while " + announcement + " was loading");
        }
        return model;
    }

    /** Whether a requested load has not been handed out by {@link #poll} yet. */
    public boolean busy() {
        return !loads.isEmpty();
    }

    /** The announcements requested and not yet handed out, oldest first (checkpointed, so none is lost). */
    public List<ModelAnnouncement> pending() {
        List<ModelAnnouncement> pending = new ArrayList<>();
        loads.forEach(load -> pending.add(load.announcement()));
        return pending;
    }

    /** The oldest load if it has finished, without waiting. */
    public Optional<Outcome> poll() {
        Load head = loads.peek();
        if (head == null || !head.future().isDone()) {
            return Optional.empty();
        }
        loads.remove();
        try {
            return Optional.of(new Outcome(head.announcement(), head.future().get(), null));
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String reason = cause instanceof ModelRefusedException ? cause.getMessage()
                    : "loading failed: " + cause;
            return Optional.of(new Outcome(head.announcement(), null, reason));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of(new Outcome(head.announcement(), null, "interrupted while loading"));
        }
    }

    /**
     * Stops loading; models already loaded but not handed out are closed, and so is one whose load outlasts the wait
     * (when it finishes).
     */
    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
        try {
            executor.awaitTermination(closeWait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Load load : loads) {
            if (load.future().isDone() && !load.future().isCancelled()) {
                try {
                    load.future().get().close();
                } catch (ExecutionException e) {
                    continue;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        loads.clear();
    }
}
