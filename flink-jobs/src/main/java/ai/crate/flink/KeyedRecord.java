package ai.crate.flink;

import java.nio.charset.StandardCharsets;

/** A record for a Kafka sink: the key (the camera id) and the value's bytes (JSON or protobuf). A Flink POJO. */
public class KeyedRecord {
    public String key;
    public byte[] value;

    public KeyedRecord() {
    }

    public KeyedRecord(String key, byte[] value) {
        this.key = key;
        this.value = value;
    }

    static KeyedRecord json(String key, String json) {
        return new KeyedRecord(key, json.getBytes(StandardCharsets.UTF_8));
    }
}
