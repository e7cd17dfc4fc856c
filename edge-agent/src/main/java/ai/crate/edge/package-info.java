/**
 * The edge agent: cameras classified on the device, every result kept in a durable spool until Kafka has it, health
 * and metrics over HTTP, heartbeats on {@code fleet-status}. Start it with {@link ai.crate.edge.Agent#start}.
 */
package ai.crate.edge;
