/**
 * The white-box HTML report ({@link ai.crate.calibration.report.ModelReport}): per-layer coding rate and sparsity,
 * each head's attention over input frames, top-k predictions, and for a quantized model FP32 against INT8; charts
 * drawn with JFreeChart, every image inlined so the page is one self-contained file.
 */
package ai.crate.calibration.report;
