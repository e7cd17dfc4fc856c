/** One entry point that turns whatever a user points at (bundle, safetensors, torch checkpoint) into a model. */
package ai.crate.runtime.load;
