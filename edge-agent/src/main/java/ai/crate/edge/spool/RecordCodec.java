package ai.crate.edge.spool;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The on-disk form of a spooled record: {@code magic:int, length:int, crc32c:int} then {@code length} bytes of
 * {@code sequence:long, appendedMillis:long, topicLength:short, topic, keyLength:int (-1 for none), key,
 * valueLength:int, value}. The checksum covers the body, so a torn write or a flipped bit is detected.
 */
final class RecordCodec {
    static final int MAGIC = 0x43525350;
    static final int HEADER = 12;
    static final int MAX_BODY = 64 << 20;

    private RecordCodec() {
    }

    static int encodedSize(SpooledRecord record) {
        return HEADER + bodySize(record);
    }

    private static int bodySize(SpooledRecord record) {
        return 8 + 8 + 2 + record.topic().getBytes(StandardCharsets.UTF_8).length + 4
                + (record.key() == null ? 0 : record.key().length) + 4 + record.value().length;
    }

    static ByteBuffer encode(SpooledRecord record) {
        byte[] topic = record.topic().getBytes(StandardCharsets.UTF_8);
        if (topic.length > Short.MAX_VALUE) {
            throw new IllegalArgumentException("topic name of " + topic.length + " bytes");
        }
        int body = bodySize(record);
        if (body > MAX_BODY) {
            throw new IllegalArgumentException("a spooled record may take at most " + MAX_BODY + " bytes, this one "
                    + body);
        }
        ByteBuffer out = ByteBuffer.allocate(HEADER + body);
        out.putInt(MAGIC).putInt(body).putInt(0);
        out.putLong(record.sequence()).putLong(record.appendedMillis());
        out.putShort((short) topic.length).put(topic);
        if (record.key() == null) {
            out.putInt(-1);
        } else {
            out.putInt(record.key().length).put(record.key());
        }
        out.putInt(record.value().length).put(record.value());
        CRC32C crc = new CRC32C();
        crc.update(out.array(), HEADER, body);
        out.putInt(8, (int) crc.getValue());
        out.flip();
        return out;
    }

    /** The body's length from a header, or -1 when the header is not a record's (bad magic, impossible length). */
    static int bodyLength(ByteBuffer header) {
        if (header.getInt(0) != MAGIC) {
            return -1;
        }
        int length = header.getInt(4);
        return length < 26 || length > MAX_BODY ? -1 : length;
    }

    /** Decodes a body whose header was {@code header}; null when the checksum or the layout is wrong. */
    static SpooledRecord decode(ByteBuffer header, byte[] body) {
        CRC32C crc = new CRC32C();
        crc.update(body, 0, body.length);
        if ((int) crc.getValue() != header.getInt(8)) {
            return null;
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(body);
            long sequence = in.getLong();
            long appended = in.getLong();
            byte[] topic = new byte[in.getShort()];
            in.get(topic);
            int keyLength = in.getInt();
            byte[] key = keyLength < 0 ? null : new byte[keyLength];
            if (key != null) {
                in.get(key);
            }
            byte[] value = new byte[in.getInt()];
            in.get(value);
            return in.hasRemaining() ? null
                    : new SpooledRecord(sequence, appended, new String(topic, StandardCharsets.UTF_8), key, value);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
