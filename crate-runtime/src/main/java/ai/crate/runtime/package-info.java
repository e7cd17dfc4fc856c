/**
 * The CRATE runtime: configs, checkpoint import, model bundles, engines and white-box measurements.
 * It knows nothing of Kafka or Flink; everything streaming composes it.
 */
package ai.crate.runtime;
