/**
 * TensorRT engines through the JavaCPP presets: probing for CUDA, a GPU and libnvinfer without ever throwing,
 * building plans from the project's ONNX export with optimisation profiles, a verified on-disk plan cache, and
 * execution with {@code enqueueV3} on a CUDA stream. TensorRT itself comes from the target (JetPack or NVIDIA's
 * packages), never from Maven.
 */
package ai.crate.runtime.engine.tensorrt;
