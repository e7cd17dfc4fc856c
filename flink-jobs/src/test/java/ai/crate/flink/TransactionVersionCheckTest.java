package ai.crate.flink;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TransactionVersionCheckTest {

    @Test
    void exactlyOnceIsRefusedOnTransactionVersionTwoUnlessAllowed() {
        assertThatCode(() -> TransactionVersionCheck.verdict((short) 0, false, "k:9092")).doesNotThrowAnyException();
        assertThatCode(() -> TransactionVersionCheck.verdict((short) 1, false, "k:9092")).doesNotThrowAnyException();
        assertThatThrownBy(() -> TransactionVersionCheck.verdict((short) 2, false, "k:9092"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Kafka at k:9092 has transaction.version=2")
                .hasMessageContaining("downgrade --feature transaction.version=1")
                .hasMessageContaining("--allow-transaction-v2");
        assertThatCode(() -> TransactionVersionCheck.verdict((short) 2, true, "k:9092")).doesNotThrowAnyException();
    }
}
