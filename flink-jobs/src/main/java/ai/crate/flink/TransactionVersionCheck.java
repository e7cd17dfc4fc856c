package ai.crate.flink;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.FeatureMetadata;
import org.apache.kafka.clients.admin.FinalizedVersionRange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * Refuses exactly-once delivery on a Kafka cluster with transaction protocol version 2 (KIP-890, the default of new
 * Kafka 4 clusters): with it, the Kafka connector (5.0.0-2.2) cannot commit a checkpoint's transactions on recovery
 * ("Unable to commit transaction … ProducerFencedException"), so a failure between a checkpoint and its commit
 * loses that checkpoint's output. Checked when the job is built; {@code --allow-transaction-v2} overrides it.
 */
final class TransactionVersionCheck {
    static final String FEATURE = "transaction.version";
    private static final Logger LOG = LoggerFactory.getLogger(TransactionVersionCheck.class);

    private TransactionVersionCheck() {
    }

    /** Asks the cluster for its finalized transaction version and applies {@link #verdict}. */
    static void check(InferenceOptions options) {
        if (options.delivery() != DeliveryGuarantee.EXACTLY_ONCE) {
            return;
        }
        short level;
        try (Admin admin = KafkaAdmins.connect(options.bootstrap())) {
            FeatureMetadata features = admin.describeFeatures().featureMetadata().get(20, TimeUnit.SECONDS);
            FinalizedVersionRange range = features.finalizedFeatures().get(FEATURE);
            level = range == null ? 0 : range.maxVersionLevel();
        } catch (Exception e) {
            LOG.warn("cannot read {} from Kafka at {} ({}); exactly-once needs it at 1 or less with this Kafka"
                    + " connector", FEATURE, options.bootstrap(), e.getCause() != null ? e.getCause().getMessage()
                    : e.getMessage());
            return;
        }
        verdict(level, options.allowTransactionV2(), options.bootstrap());
    }

    /**
     * @throws IllegalStateException when the cluster runs transaction version 2 or later and that was not allowed
     */
    static void verdict(short level, boolean allowed, String bootstrap) {
        if (level < 2) {
            return;
        }
        String problem = "Kafka at " + bootstrap + " has " + FEATURE + "=" + level + ": with it the Flink Kafka"
                + " connector cannot commit a checkpoint's transactions after a restart, so exactly-once output can"
                + " lose what was in flight at a failure";
        if (allowed) {
            LOG.warn("{} (allowed by --allow-transaction-v2)", problem);
            return;
        }
        throw new IllegalStateException(problem + ". Downgrade the feature (kafka-features.sh --bootstrap-server "
                + bootstrap + " downgrade --feature " + FEATURE + "=1), use --delivery at-least-once, or accept the"
                + " risk with --allow-transaction-v2");
    }
}
