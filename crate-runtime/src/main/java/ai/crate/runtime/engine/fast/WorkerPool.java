package ai.crate.runtime.engine.fast;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs {@code tasks} indexed pieces of work on {@code threads} workers (the calling thread is worker 0), each worker
 * taking the next index until none is left, and returns when all are done. The worker index lets callers give each
 * worker its own scratch.
 */
final class WorkerPool implements AutoCloseable {
    /** One piece of work: which worker runs it and which task it is. */
    @FunctionalInterface
    interface Task {
        void run(int worker, int index);
    }

    private final int threads;
    private final ExecutorService helpers;

    WorkerPool(int threads) {
        this.threads = threads;
        AtomicInteger counter = new AtomicInteger();
        this.helpers = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, runnable -> {
            Thread thread = new Thread(runnable, "crate-fast-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    int threads() {
        return threads;
    }

    void run(int tasks, Task task) {
        if (tasks <= 0) {
            return;
        }
        int workers = Math.min(threads, tasks);
        if (workers == 1) {
            for (int i = 0; i < tasks; i++) {
                task.run(0, i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        @SuppressWarnings("unchecked")
        Future<?>[] futures = new Future<?>[workers - 1];
        for (int w = 1; w < workers; w++) {
            int worker = w;
            futures[w - 1] = helpers.submit(() -> drain(next, tasks, task, worker));
        }
        RuntimeException failure = null;
        try {
            drain(next, tasks, task, 0);
        } catch (RuntimeException e) {
            failure = e;
            next.set(tasks);
        }
        for (Future<?> future : futures) {
            try {
                future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during a forward pass", e);
            } catch (java.util.concurrent.ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException ? (RuntimeException) e.getCause()
                            : new IllegalStateException("forward pass failed", e.getCause());
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void drain(AtomicInteger next, int tasks, Task task, int worker) {
        for (int i = next.getAndIncrement(); i < tasks; i = next.getAndIncrement()) {
            task.run(worker, i);
        }
    }

    @Override
    public void close() {
        if (helpers != null) {
            helpers.shutdownNow();
        }
    }
}
