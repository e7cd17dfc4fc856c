package ai.crate.runtime.whitebox;

import ai.crate.runtime.cpu.OpenBlasKernels;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.openblas.global.openblas_full;
import org.slf4j.LoggerFactory;

/**
 * {@code logdet(I + c·G)} of a Gram matrix through OpenBLAS: {@code dsyrk} accumulates the Gram's lower triangle onto
 * the identity and LAPACK's {@code dpotrf} factors it, in double, at native speed whatever the JIT has compiled (the
 * white-box telemetry runs it on a sample of frames, too rarely for the Java loops to be hot). {@link #AVAILABLE} is
 * false where OpenBLAS cannot load, and {@link CodingRate} then keeps its Java loops.
 */
final class LapackLogDet {
    static final boolean AVAILABLE = load();

    private LapackLogDet() {
    }

    private static boolean load() {
        try {
            OpenBlasKernels.select();
            Loader.load(openblas.class);
            openblas_full.openblas_set_num_threads(1);
            return true;
        } catch (Throwable e) {
            LoggerFactory.getLogger(LapackLogDet.class).info("coding rates in Java loops: OpenBLAS does not load"
                    + " here ({})", e.toString());
            return false;
        }
    }

    /**
     * {@code logdet(I + c·X·Xᵀ)} for a row-major {@code X [rows, cols]}, through the smaller of the two equal Gram
     * forms; NaN when the matrix is not positive definite (non-finite input). {@code gram} is scratch of at least
     * {@code min(rows, cols)²} doubles.
     */
    static double of(double[] x, int rows, int cols, double c, double[] gram) {
        boolean byColumns = cols <= rows;
        int m = byColumns ? cols : rows;
        java.util.Arrays.fill(gram, 0, m * m, 0.0);
        for (int i = 0; i < m; i++) {
            gram[i * m + i] = 1.0;
        }
        openblas.cblas_dsyrk(openblas.CblasRowMajor, openblas.CblasLower,
                byColumns ? openblas.CblasTrans : openblas.CblasNoTrans, m, byColumns ? rows : cols, c, x, cols, 1.0,
                gram, m);
        if (openblas.LAPACKE_dpotrf(openblas.LAPACK_ROW_MAJOR, (byte) 'L', m, gram, m) != 0) {
            return Double.NaN;
        }
        double logDet = 0;
        for (int i = 0; i < m; i++) {
            logDet += 2 * Math.log(gram[i * m + i]);
        }
        return logDet;
    }
}
