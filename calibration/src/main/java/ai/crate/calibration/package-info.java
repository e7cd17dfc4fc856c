/**
 * INT8 calibration of CRATE models: activation statistics over a calibration set ({@link CalibrationSources}), ranges
 * chosen by {@link CalibrationMethod}, verified against FP32 with layers kept in float until an agreement target holds
 * ({@link Calibration}), written as a Q/DQ ONNX model, a JSON table and a TensorRT cache ({@link CalibrationOutputs});
 * and the white-box HTML report ({@code ai.crate.calibration.report}).
 */
package ai.crate.calibration;
