/**
 * The edge agent's durable spool: every record it produces is appended to disk before it is sent, and kept until
 * Kafka acknowledges it ({@link ai.crate.edge.spool.Spool}); {@link ai.crate.edge.spool.SpoolPublisher} drains it to
 * Kafka in order with an idempotent producer.
 */
package ai.crate.edge.spool;
