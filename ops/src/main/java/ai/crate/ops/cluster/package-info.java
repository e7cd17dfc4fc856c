/**
 * A local multi-process cluster for development and chaos tests: a KRaft Kafka cluster and a Flink standalone session
 * cluster, each node its own JVM, all logs and data under one directory ({@link ai.crate.ops.cluster.LocalCluster}).
 */
package ai.crate.ops.cluster;
