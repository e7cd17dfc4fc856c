/**
 * ONNX export of CRATE (opset 17, dynamic batch), in a {@code reference} form op for op as the spec and a
 * {@code fused} form with the spec's folds; the contract between this runtime and ONNX Runtime and TensorRT.
 */
package ai.crate.runtime.onnx;
