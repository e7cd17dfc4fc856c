package ai.crate.runtime.train;

import ai.crate.runtime.cpu.OpenBlasKernels;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.openblas.global.openblas_full;

import java.nio.FloatBuffer;

/**
 * Row-major float32 products on Java arrays through OpenBLAS, single-threaded per call (the trainer parallelises over
 * images): {@code C = alpha·op(A)·op(B) + beta·C}, offsets and leading dimensions in floats.
 */
final class Gemm {
    static {
        OpenBlasKernels.select();
        Loader.load(openblas.class);
        openblas_full.openblas_set_num_threads(1);
    }

    private Gemm() {
    }

    static void mm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                   float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        openblas.cblas_sgemm(openblas.CblasRowMajor, transA ? openblas.CblasTrans : openblas.CblasNoTrans,
                transB ? openblas.CblasTrans : openblas.CblasNoTrans, m, n, k, alpha,
                FloatBuffer.wrap(a, aOff, a.length - aOff), lda, FloatBuffer.wrap(b, bOff, b.length - bOff), ldb, beta,
                FloatBuffer.wrap(c, cOff, c.length - cOff), ldc);
    }
}
