/** CRATE's white-box measurements as the authors define them: per-layer coding rate (compression) and sparsity. */
package ai.crate.runtime.whitebox;
