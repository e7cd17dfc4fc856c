/**
 * A CRATE model ready to run: validated float32 weights for a config, what the weights' shapes determine, and the
 * loader that turns a bundle, a safetensors file or a torch checkpoint into one.
 */
package ai.crate.runtime.model;
