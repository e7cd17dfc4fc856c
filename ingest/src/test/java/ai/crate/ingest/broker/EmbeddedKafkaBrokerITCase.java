package ai.crate.ingest.broker;

import ai.crate.ingest.IngestException;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EmbeddedKafkaBrokerITCase {
    @TempDir
    Path data;

    @Test
    void dataDirectoryKeepsTopicsAcrossRestartsAndRefusesASecondBroker() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, data)) {
            assertThat(broker.bootstrap()).matches("127\\.0\\.0\\.1:\\d+");
            assertThat(broker.createPipelineTopics()).contains(PipelineTopics.FRAMES, PipelineTopics.MODEL_UPDATES)
                    .hasSize(PipelineTopics.all((short) 1).size());
            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(0, data)).isInstanceOf(IngestException.class)
                    .hasMessageContaining("is in use by another broker");
            assertThat(broker.createTopics(List.of(new NewTopic("still-alive", 1, (short) 1))))
                    .containsExactly("still-alive");
        }
        try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.start(0, data)) {
            assertThat(again.createPipelineTopics()).isEmpty();
        }
        assertThat(Files.exists(data.resolve("meta.properties"))).isTrue();
    }

    @Test
    void temporaryDirectoryIsRemovedOnClose() throws Exception {
        Path directory;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, null)) {
            directory = broker.dataDirectory();
            assertThat(directory).exists();
        }
        assertThat(directory).doesNotExist();
    }

    @Test
    void badPortIsRefused() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.start(-1, null)).hasMessageContaining("between 0 and 65535");
    }
}
