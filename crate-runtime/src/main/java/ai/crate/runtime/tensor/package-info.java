/** Float32 tensors backed by heap or memory-mapped buffers, the element types checkpoints store, and their conversion. */
package ai.crate.runtime.tensor;
