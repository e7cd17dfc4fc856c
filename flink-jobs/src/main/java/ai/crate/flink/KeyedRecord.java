package ai.crate.flink;

import java.nio.charset.StandardCharsets;

/**
 * A record for a Kafka sink: the key (the camera id), the value's bytes (JSON or protobuf) and, for a sink that writes
 * several topics, the topic it goes to (null: the sink's own topic). A Flink POJO.
 */
public class KeyedRecord {
    public String key;
    public byte[] value;
    public String topic;

    public KeyedRecord() {
    }

    public KeyedRecord(String key, byte[] value) {
        this.key = key;
        this.value = value;
    }

    /** A record for {@code topic}, through a sink that writes several. */
    public KeyedRecord(String topic, String key, byte[] value) {
        this(key, value);
        this.topic = topic;
    }

    static KeyedRecord json(String key, String json) {
        return new KeyedRecord(key, json.getBytes(StandardCharsets.UTF_8));
    }

    static KeyedRecord json(String topic, String key, String json) {
        return new KeyedRecord(topic, key, json.getBytes(StandardCharsets.UTF_8));
    }
}
