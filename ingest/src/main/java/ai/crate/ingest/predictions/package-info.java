/** The {@code predictions} record, shared by the Flink job and the edge agent so both write the same schema. */
package ai.crate.ingest.predictions;
