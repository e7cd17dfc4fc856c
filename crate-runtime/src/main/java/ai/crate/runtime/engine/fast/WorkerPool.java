package ai.crate.runtime.engine.fast;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs {@code tasks} indexed pieces of work on {@code threads} workers (the calling thread is worker 0), each worker
 * taking the next index until none is left, and returns when all are done. The helper threads live as long as the
 * pool and are woken per region without allocating anything; regions of concurrent callers run one after the other.
 * The worker index lets callers give each worker its own scratch.
 */
final class WorkerPool implements AutoCloseable {
    /** One piece of work: which worker runs it and which task it is. */
    @FunctionalInterface
    interface Task {
        void run(int worker, int index);
    }

    private static final int SPINS = 64;

    private final int threads;
    private final Thread[] helpers;
    private final Object regionLock = new Object();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Task task;
    private volatile int tasks;
    private volatile int activeHelpers;
    private volatile long generation;
    private volatile Thread owner;
    private volatile RuntimeException failure;
    private volatile boolean closed;

    WorkerPool(int threads) {
        this.threads = threads;
        this.helpers = new Thread[threads - 1];
        for (int i = 0; i < helpers.length; i++) {
            int worker = i + 1;
            helpers[i] = new Thread(() -> helperLoop(worker), "crate-fast-" + worker);
            helpers[i].setDaemon(true);
            helpers[i].start();
        }
    }

    int threads() {
        return threads;
    }

    void run(int count, Task work) {
        if (count <= 0) {
            return;
        }
        int workers = Math.min(threads, count);
        if (workers == 1) {
            for (int i = 0; i < count; i++) {
                work.run(0, i);
            }
            return;
        }
        synchronized (regionLock) {
            if (closed) {
                throw new IllegalStateException("the worker pool is closed");
            }
            task = work;
            tasks = count;
            failure = null;
            next.set(0);
            pending.set(workers - 1);
            activeHelpers = workers - 1;
            owner = Thread.currentThread();
            generation++;
            for (int i = 0; i < workers - 1; i++) {
                LockSupport.unpark(helpers[i]);
            }
            try {
                drain(0);
            } catch (RuntimeException e) {
                failure = e;
                next.set(count);
            }
            int spins = 0;
            while (pending.get() > 0) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            task = null;
            if (failure != null) {
                throw failure;
            }
        }
    }

    private void drain(int worker) {
        Task work = task;
        int count = tasks;
        for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
            work.run(worker, i);
        }
    }

    private void helperLoop(int worker) {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            if (worker > activeHelpers) {
                continue;
            }
            try {
                drain(worker);
            } catch (RuntimeException e) {
                failure = e;
                next.set(tasks);
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(owner);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread helper : helpers) {
            LockSupport.unpark(helper);
        }
    }
}
