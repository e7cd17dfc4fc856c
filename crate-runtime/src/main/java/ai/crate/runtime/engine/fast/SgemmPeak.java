package ai.crate.runtime.engine.fast;

/**
 * The machine's practical limit for the fast engine: the best single-precision GFLOP/s of OpenBLAS on a large square
 * product split over {@code threads} workers exactly as the engine splits its products. Engine throughput divided by
 * this is its fraction of peak.
 */
public final class SgemmPeak {
    private SgemmPeak() {
    }

    /** Best GFLOP/s over about {@code seconds} of 1024×1024×1024 products, after one warm-up product. */
    public static double measure(int threads, double seconds) {
        int size = 1024;
        try (WorkerPool pool = new WorkerPool(threads);
                NativeFloats a = new NativeFloats((long) size * size);
                NativeFloats b = new NativeFloats((long) size * size);
                NativeFloats c = new NativeFloats((long) size * size)) {
            for (int i = 0; i < size * size; i++) {
                a.bytes().putFloat(i * 4, (i % 7) * 0.25f);
                b.bytes().putFloat(i * 4, (i % 5) * 0.5f);
            }
            Blas[] blas = new Blas[threads];
            for (int i = 0; i < threads; i++) {
                blas[i] = new Blas();
            }
            int per = (size + threads - 1) / threads;
            WorkerPool.Task product = (worker, block) -> {
                int first = block * per;
                int rows = Math.min(size, first + per) - first;
                blas[worker].gemm(false, rows, size, size, 1f, a, (long) first * size, size, b, 0, size, 0f, c,
                        (long) first * size, size);
            };
            pool.run(threads, product);
            double best = 0;
            long end = System.nanoTime() + (long) (seconds * 1e9);
            do {
                long start = System.nanoTime();
                pool.run(threads, product);
                double elapsed = (System.nanoTime() - start) / 1e9;
                best = Math.max(best, 2.0 * size * size * size / elapsed / 1e9);
            } while (System.nanoTime() < end);
            return best;
        }
    }
}
