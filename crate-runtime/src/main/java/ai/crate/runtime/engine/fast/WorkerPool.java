package ai.crate.runtime.engine.fast;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs {@code tasks} indexed pieces of work on {@code threads} workers (the calling thread is worker 0), each worker
 * taking the next index until none is left, and returns when all are done. The helper threads live as long as the
 * pool and are woken per region without allocating anything; regions of concurrent callers run one after the other.
 * A failure in any task (exception or error) is rethrown to the caller only after every worker has stopped.
 */
final class WorkerPool implements AutoCloseable {
    /** One piece of work: which worker runs it and which task it is. */
    @FunctionalInterface
    interface Task {
        void run(int worker, int index);
    }

    /**
     * How long a waiting worker keeps yielding before it parks. Regions of one pass follow each other within
     * microseconds, and a parked helper takes tens of microseconds to wake (and then starts its share late), so a
     * helper waits through the gaps of a pass awake and parks only once the pass is over.
     */
    private static final long SPIN_NANOS = Long.getLong("crate.fast.spinMicros", 200) * 1000;
    private static final int WORKER_BITS = 16;

    private final int threads;
    private final Thread[] helpers;
    private final Object regionLock = new Object();
    private final AtomicInteger next = new AtomicInteger();
    /** Per helper: the last round it finished. */
    private final AtomicLongArray finished;
    private Task task;
    private int tasks;
    private Thread owner;
    private volatile Throwable failure;
    /** The current round and how many helpers take part, in one value so a helper reads both at once. */
    private volatile long round;
    private volatile boolean closed;

    WorkerPool(int threads) {
        this.threads = threads;
        this.helpers = new Thread[threads - 1];
        this.finished = new AtomicLongArray(threads);
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
            owner = Thread.currentThread();
            long generation = (round >>> WORKER_BITS) + 1;
            int active = workers - 1;
            round = (generation << WORKER_BITS) | active;
            for (int i = 0; i < active; i++) {
                LockSupport.unpark(helpers[i]);
            }
            try {
                drain(0);
            } catch (Throwable e) {
                failure = e;
                next.set(count);
            }
            long spinUntil = 0;
            for (int w = 1; w <= active; w++) {
                while (finished.get(w) != generation) {
                    spinUntil = pause(spinUntil);
                }
            }
            task = null;
            Throwable thrown = failure;
            if (thrown instanceof RuntimeException) {
                throw (RuntimeException) thrown;
            }
            if (thrown instanceof Error) {
                throw (Error) thrown;
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
            long current = round;
            long generation = current >>> WORKER_BITS;
            if (generation == seen) {
                if (closed) {
                    return;
                }
                waitForRound(seen);
                continue;
            }
            seen = generation;
            if (worker > (int) (current & ((1 << WORKER_BITS) - 1))) {
                continue;
            }
            try {
                drain(worker);
            } catch (Throwable e) {
                failure = e;
                next.set(tasks);
            } finally {
                finished.set(worker, generation);
                LockSupport.unpark(owner);
            }
        }
    }

    private void waitForRound(long seen) {
        long spinUntil = 0;
        while ((round >>> WORKER_BITS) == seen && !closed) {
            spinUntil = pause(spinUntil);
        }
    }

    /**
     * One step of a wait: until {@code spinUntil} (set on the first step, when it is 0) a yield, which returns at once
     * on an idle core and hands the core over when more threads than cores are runnable (several engines on one
     * TaskManager); after it, a park.
     */
    private long pause(long spinUntil) {
        long now = System.nanoTime();
        long until = spinUntil == 0 ? now + SPIN_NANOS : spinUntil;
        if (now < until) {
            Thread.yield();
        } else {
            LockSupport.park(this);
        }
        return until;
    }

    /** Waits for a running region to finish, then stops the helpers. */
    @Override
    public void close() {
        synchronized (regionLock) {
            closed = true;
        }
        for (Thread helper : helpers) {
            LockSupport.unpark(helper);
        }
    }
}
