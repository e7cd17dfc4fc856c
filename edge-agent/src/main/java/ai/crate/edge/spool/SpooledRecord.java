package ai.crate.edge.spool;

/**
 * A record waiting in the {@link Spool}: its place ({@code sequence}, increasing by one per append, never reused),
 * when it was appended, and where it goes (Kafka topic, key and value; the key may be null).
 */
public record SpooledRecord(long sequence, long appendedMillis, String topic, byte[] key, byte[] value) {

    /** Bytes the record takes in a segment file. */
    public int encodedSize() {
        return RecordCodec.encodedSize(this);
    }
}
