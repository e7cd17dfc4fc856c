package ai.crate.flink;

/** A record for a Kafka sink: the key (the camera id) and the UTF-8 JSON value. A Flink POJO. */
public class KeyedRecord {
    public String key;
    public String value;

    public KeyedRecord() {
    }

    public KeyedRecord(String key, String value) {
        this.key = key;
        this.value = value;
    }
}
