/**
 * Frames into Kafka: {@link ai.crate.ingest.Ingestor} reads a {@link ai.crate.ingest.source.FrameSource}, downscales
 * and encodes each frame ({@link ai.crate.ingest.FrameEncoder}), numbers it ({@link ai.crate.ingest.SequenceStore})
 * and publishes it as a {@code crate.frames.v1.Frame} ({@link ai.crate.ingest.FrameRecords}) with a
 * {@link ai.crate.ingest.kafka.FramePublisher}. File sources lose nothing; live sources drop the oldest frames under
 * pressure and count them.
 */
package ai.crate.ingest;
