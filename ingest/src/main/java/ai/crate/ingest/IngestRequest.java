package ai.crate.ingest;

import ai.crate.ingest.source.SourceSettings;
import ai.crate.patchify.FrameFormat;

import java.nio.file.Path;
import java.util.Map;

/**
 * Everything one ingest needs: the source, the Kafka bootstrap servers and topic, the run's options, how frames are
 * encoded ({@code jpeg} at a quality, or raw {@code bgr24}), where per-camera sequence numbers are kept, and extra
 * producer settings.
 */
public record IngestRequest(SourceSettings source, String bootstrap, String topic, IngestSettings settings,
                            FrameFormat format, int jpegQuality, Path stateDirectory,
                            Map<String, Object> producerOverrides) {
    public IngestRequest {
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new IllegalArgumentException("Kafka bootstrap servers (host:port) are required");
        }
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("a topic is required");
        }
        producerOverrides = Map.copyOf(producerOverrides);
    }
}
