package ai.crate.flink;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import java.util.Map;

/** The Kafka admin client the jobs use when they are built: short timeouts, so an unreachable cluster fails fast. */
final class KafkaAdmins {
    private KafkaAdmins() {
    }

    /** An admin client for {@code bootstrap}; close it when done. */
    static Admin connect(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000"));
    }
}
