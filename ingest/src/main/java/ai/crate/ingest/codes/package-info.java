/** The {@code sparse-codes} record's encoder and options, shared by the Flink job and the edge agent. */
package ai.crate.ingest.codes;
