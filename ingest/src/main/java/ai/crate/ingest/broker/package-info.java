/**
 * A real single-node Kafka (KRaft, broker and controller in one) inside this JVM, for development, tests and the demo,
 * and the pipeline's topics. Needs {@code org.apache.kafka:kafka_2.13} on the class path (an optional dependency of
 * this module).
 */
package ai.crate.ingest.broker;
