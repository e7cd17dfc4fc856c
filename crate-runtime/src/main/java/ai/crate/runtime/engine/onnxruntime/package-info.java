/** The ONNX Runtime engine: CRATE's exported fused graph on ONNX Runtime's CPU provider, or CUDA when present. */
package ai.crate.runtime.engine.onnxruntime;
