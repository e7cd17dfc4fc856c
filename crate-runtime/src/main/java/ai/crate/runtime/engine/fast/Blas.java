package ai.crate.runtime.engine.fast;

import ai.crate.runtime.cpu.OpenBlasKernels;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.openblas.global.openblas_full;
import org.slf4j.LoggerFactory;

/**
 * Row-major single-precision products through OpenBLAS, single-threaded per call: the engine splits work across its
 * own threads, so OpenBLAS never starts threads of its own. Each worker owns one {@code Blas} whose operand views are
 * re-pointed per call, so a product allocates nothing.
 */
final class Blas {
    private static final class Init {
        static {
            OpenBlasKernels.select();
            Loader.load(openblas.class);
            openblas_full.openblas_set_num_threads(1);
            LoggerFactory.getLogger(Blas.class).info("OpenBLAS kernels: {}",
                    openblas_full.openblas_get_corename().getString());
        }

        static void ensure() {
        }
    }

    private final View a = new View();
    private final View b = new View();
    private final View c = new View();

    Blas() {
        Init.ensure();
    }

    /** Loads OpenBLAS; throws if its native library cannot load on this platform. */
    static void load() {
        Init.ensure();
    }

    /**
     * {@code C[m, n] = alpha · A[m, k] · op(B) + beta · C}, {@code op(B)} being {@code B[k, n]} or, with
     * {@code transB}, {@code B[n, k]ᵀ}. Offsets and leading dimensions are in floats.
     */
    void gemm(boolean transB, int m, int n, int k, float alpha, NativeFloats aBase, long aOffset, int lda,
            NativeFloats bBase, long bOffset, int ldb, float beta, NativeFloats cBase, long cOffset, int ldc) {
        openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans,
                transB ? openblas.CblasTrans : openblas.CblasNoTrans, m, n, k, alpha,
                a.at(aBase.pointer(), aOffset), lda, b.at(bBase.pointer(), bOffset), ldb, beta,
                c.at(cBase.pointer(), cOffset), ldc);
    }

    /** A pointer that can be moved onto any block and offset without allocating. */
    private static final class View extends FloatPointer {
        View() {
            super((org.bytedeco.javacpp.Pointer) null);
        }

        FloatPointer at(FloatPointer base, long offset) {
            address = base.address();
            capacity = base.capacity();
            limit = base.capacity();
            position = offset;
            return this;
        }
    }
}
