package ai.crate.ingest;

import java.util.ArrayDeque;

/**
 * The hand-over between the grabbing thread and the publishing thread. Lossless: {@link #put} waits for room. Live:
 * {@link #put} never waits; when full it evicts the oldest frame and counts it. The grabbing side ends the stream
 * with {@link #finish}, passing the error that ended it, if any.
 */
final class FrameQueue<T> {
    private final ArrayDeque<T> items;
    private final int capacity;
    private final boolean evictOldest;
    private long evicted;
    private boolean finished;
    private boolean abandoned;
    private IngestException failure;

    FrameQueue(int capacity, boolean evictOldest) {
        this.items = new ArrayDeque<>(capacity);
        this.capacity = capacity;
        this.evictOldest = evictOldest;
    }

    /** Adds an item; once the consumer has {@link #abandon abandoned} the queue, the item is discarded. */
    synchronized void put(T item) throws InterruptedException {
        while (items.size() == capacity && !abandoned) {
            if (evictOldest) {
                items.pollFirst();
                evicted++;
            } else {
                wait();
            }
        }
        if (!abandoned) {
            items.addLast(item);
        }
        notifyAll();
    }

    /** The consumer stops taking items: a producer waiting for room is released. */
    synchronized void abandon() {
        abandoned = true;
        notifyAll();
    }

    /** The next item, waiting at most {@code millis}; null on timeout or once finished and drained. */
    synchronized T poll(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (items.isEmpty() && !finished) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return null;
            }
            wait(left);
        }
        T item = items.pollFirst();
        notifyAll();
        return item;
    }

    synchronized void finish(IngestException error) {
        finished = true;
        failure = error;
        notifyAll();
    }

    synchronized boolean isDrained() {
        return finished && items.isEmpty();
    }

    synchronized IngestException failure() {
        return failure;
    }

    synchronized long evicted() {
        return evicted;
    }
}
