/**
 * The fast CPU engine: CRATE's folds (ISTA as one product, LayerNorm affines inside the products), the whole batch in
 * OpenBLAS products on off-heap memory, attention and row kernels on the JDK's Vector API, one thread pool.
 */
package ai.crate.runtime.engine.fast;
