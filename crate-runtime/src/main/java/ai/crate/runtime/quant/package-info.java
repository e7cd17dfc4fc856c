/**
 * INT8 quantization shared by the exporter and the engines: where the fused graph quantizes ({@link QuantPoint}), the
 * calibrated ranges ({@link QuantizationTable}, stored as JSON) and symmetric INT8 arithmetic ({@link Int8}).
 */
package ai.crate.runtime.quant;
