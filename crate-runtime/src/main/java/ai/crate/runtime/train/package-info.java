/**
 * Training and fine-tuning in the JVM: {@link ai.crate.runtime.train.TrainableCrate} holds the parameters under the
 * authors' key names, {@link ai.crate.runtime.train.Backprop} computes the exact cross-entropy gradients of the whole
 * forward pass (data-parallel over a batch), {@link ai.crate.runtime.train.Optimizer}s update them with PyTorch's
 * semantics, and {@link ai.crate.runtime.train.Trainer} runs the loop.
 */
package ai.crate.runtime.train;
