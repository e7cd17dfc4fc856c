/** NumPy {@code .npy} files (version 1–3, C order; float32, float64, int32, int64) read and written. */
package ai.crate.runtime.npy;
