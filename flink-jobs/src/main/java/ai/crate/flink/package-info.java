/**
 * The streaming jobs on Apache Flink 2. {@link ai.crate.flink.InferenceJob}: frames from Kafka
 * ({@link ai.crate.flink.FrameDeserializer}, which never throws), micro-batched CRATE inference per subtask
 * ({@link ai.crate.flink.InferenceOperator}), predictions to Kafka, bad records to the dead-letter topic.
 */
package ai.crate.flink;
