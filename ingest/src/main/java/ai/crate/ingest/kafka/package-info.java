/** Publishing frames to Kafka: the producer settings for lossless and for live delivery, and its metrics. */
package ai.crate.ingest.kafka;
