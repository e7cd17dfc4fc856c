package ai.crate.flink;

import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Drift messages reach the fine-tune job as strings; a tombstone is skipped instead of failing the source. */
class DriftMessagesTest {

    @Test
    void aTombstoneIsSkippedAndTheNextMessageStillArrives() throws Exception {
        List<String> seen = new ArrayList<>();
        Collector<String> out = new Collector<>() {
            @Override
            public void collect(String record) {
                seen.add(record);
            }

            @Override
            public void close() {
            }
        };
        DriftMessages messages = new DriftMessages();
        messages.deserialize(new ConsumerRecord<>("drift", 0, 0, "cam-1".getBytes(StandardCharsets.UTF_8), null), out);
        messages.deserialize(new ConsumerRecord<>("drift", 0, 1, "cam-1".getBytes(StandardCharsets.UTF_8),
                "{\"event\":\"drift-started\"}".getBytes(StandardCharsets.UTF_8)), out);
        assertThat(seen).containsExactly("{\"event\":\"drift-started\"}");
    }
}
