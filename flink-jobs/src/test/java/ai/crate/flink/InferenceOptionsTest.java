package ai.crate.flink;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InferenceOptionsTest {
    @Test
    void defaultsAndOverrides() {
        InferenceOptions o = InferenceOptions.parse("--bootstrap", "k:9092", "--model-uri", "/m");
        assertThat(o.delivery()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(o.framesTopic()).isEqualTo("frames");
        assertThat(o.bounded()).isFalse();
        InferenceOptions p = InferenceOptions.parse("--bootstrap", "k:9092", "--model-uri", "/m", "--delivery",
                "at-least-once", "--max-batch", "16", "--bounded");
        assertThat(p.delivery()).isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
        assertThat(p.maxBatch()).isEqualTo(16);
        assertThat(p.bounded()).isTrue();
        assertThat(o.updatesTopic()).isEqualTo("model-updates");
        assertThat(o.fleetTopic()).isEqualTo("fleet-status");
        assertThat(o.driftTopic()).isEqualTo("drift");
        assertThat(o.telemetryEvery()).isEqualTo(50);
        assertThat(o.driftWindow()).isEqualTo(20);
        assertThat(o.driftAlpha()).isEqualTo(0.01);
        assertThat(o.allowTransactionV2()).isFalse();
        assertThat(o.bufferTimeoutMillis()).isEqualTo(10);
        InferenceOptions q = InferenceOptions.parse("--bootstrap", "k:9092", "--model-uri", "/m", "--telemetry-every",
                "0", "--drift-window", "40", "--drift-alpha", "0.001", "--allow-transaction-v2",
                "--buffer-timeout-ms", "0");
        assertThat(q.bufferTimeoutMillis()).isZero();
        assertThat(q.telemetryEvery()).isZero();
        assertThat(q.driftWindow()).isEqualTo(40);
        assertThat(q.driftAlpha()).isEqualTo(0.001);
        assertThat(q.allowTransactionV2()).isTrue();
    }

    @Test
    void badOptionsAreNamed() {
        assertThatThrownBy(() -> InferenceOptions.parse("--model-uri", "/m")).hasMessageContaining("--bootstrap");
        assertThatThrownBy(() -> InferenceOptions.parse("--bootstrap", "k", "--model-uri", "/m", "--delivery", "x"))
                .hasMessageContaining("exactly-once or at-least-once");
        assertThatThrownBy(() -> InferenceOptions.parse("--bootstrap", "k", "--model-uri", "/m", "--max-batch",
                "many")).hasMessageContaining("--max-batch must be a whole number");
        assertThatThrownBy(() -> InferenceOptions.parse("--bootstrap", "k", "--model-uri", "/m", "--colour", "red"))
                .hasMessageContaining("unknown options [colour]");
        assertThatThrownBy(() -> InferenceOptions.parse("--bootstrap", "k", "--model-uri", "/m", "--telemetry-every",
                "-1")).hasMessageContaining("--telemetry-every must be 0 (off) or more, got -1");
        assertThatThrownBy(() -> InferenceOptions.parse("--bootstrap", "k", "--model-uri", "/m", "--drift-window",
                "1")).hasMessageContaining("--drift-window must be at least 2");
        assertThatThrownBy(() -> InferenceOptions.parse("--bootstrap", "k", "--model-uri", "/m", "--drift-alpha",
                "often")).hasMessageContaining("--drift-alpha must be a number, got 'often'");
        assertThatThrownBy(() -> InferenceOptions.parse("--bootstrap", "k", "--model-uri", "/m", "--drift-alpha",
                "0.7")).hasMessageContaining("--drift-alpha in (0, 0.5)");
        assertThatThrownBy(() -> InferenceOptions.parse("--bootstrap", "k", "--model-uri", "/m",
                "--buffer-timeout-ms", "-1")).hasMessageContaining("--buffer-timeout-ms must be 0");
    }
}
