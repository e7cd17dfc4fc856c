package ai.crate.ops.cluster;

import java.nio.file.Path;

/**
 * The {@code server.properties} of one node of the local KRaft cluster: broker and controller in one process, a
 * static quorum of all nodes, internal topics replicated {@code replication} times, {@code min.insync.replicas}
 * one less (at least 1), no automatic topic creation, frames up to 16 MiB.
 */
final class KafkaNodeConfig {
    private KafkaNodeConfig() {
    }

    static String properties(int nodeId, int clientPort, int controllerPort, String voters, Path data,
            short replication) {
        int minInSync = Math.max(1, replication - 1);
        String frameBytes = Integer.toString(16 * 1024 * 1024 + 1024);
        return String.join("\n",
                "process.roles=broker,controller",
                "node.id=" + nodeId,
                "controller.quorum.voters=" + voters,
                "listeners=PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + clientPort,
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "log.dirs=" + data,
                "num.partitions=4",
                "default.replication.factor=" + replication,
                "min.insync.replicas=" + minInSync,
                "offsets.topic.replication.factor=" + replication,
                "transaction.state.log.replication.factor=" + replication,
                "transaction.state.log.min.isr=" + minInSync,
                "share.coordinator.state.topic.replication.factor=" + replication,
                "share.coordinator.state.topic.min.isr=" + minInSync,
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=false",
                "unclean.leader.election.enable=false",
                "message.max.bytes=" + frameBytes,
                "replica.fetch.max.bytes=" + frameBytes,
                "");
    }
}
