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
    }
}
