/**
 * Checkpoint import without Python: safetensors files and PyTorch {@code torch.save} zip archives (read with a
 * restricted unpickler that never executes anything), unwrapped to the model's state dict.
 */
package ai.crate.runtime.checkpoint;
