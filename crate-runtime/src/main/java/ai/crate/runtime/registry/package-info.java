/**
 * The model registry: bundles stored content-addressed on a local or shared file system, one record per version with
 * its files' sha256, signer and promotion history ({@code candidate → production → retired}), and an HTTP server
 * that hands both to edge agents with range requests for resumed downloads. No Kafka, no Flink.
 */
package ai.crate.runtime.registry;
