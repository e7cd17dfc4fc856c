package ai.crate.runtime.npy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NpyTest {
    @TempDir
    Path temp;

    @Test
    void float32AndInt64RoundTrip() throws Exception {
        Path f = temp.resolve("x.npy");
        Npy.writeFloat32(f, new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6.5f});
        NpyArray read = Npy.read(f);
        assertThat(read.type()).isEqualTo(NpyType.FLOAT32);
        assertThat(read.shape()).containsExactly(2, 3);
        assertThat(read.toFloats()).containsExactly(1, 2, 3, 4, 5, -6.5f);
        assertThat(Files.size(f) % 64).isEqualTo((6 * 4) % 64);

        Path l = temp.resolve("labels.npy");
        Npy.writeInt64(l, new int[] {3}, new long[] {7, -1, 1L << 40});
        assertThat(Npy.read(l).toLongs()).containsExactly(7, -1, 1L << 40);

        Path d = temp.resolve("d.npy");
        Npy.writeFloat64(d, new int[] {2}, new double[] {0.25, -1e300});
        assertThat(Npy.read(d).type()).isEqualTo(NpyType.FLOAT64);
        Path i = temp.resolve("i.npy");
        Npy.writeInt32(i, new int[] {1, 2}, new int[] {-5, 9});
        assertThat(Npy.read(i).toLongs()).containsExactly(-5, 9);
        Path scalar = temp.resolve("s.npy");
        Npy.writeFloat32(scalar, new int[0], new float[] {3f});
        assertThat(Npy.read(scalar).shape()).isEmpty();
        assertThat(Npy.read(scalar).toFloats()).containsExactly(3f);
    }

    @Test
    void readsFloat64AndInt32() throws Exception {
        Path f = write("d.npy", "<f8", "(2,)", ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(0.5).putDouble(-3.25).array());
        assertThat(Npy.read(f).toFloats()).containsExactly(0.5f, -3.25f);
        Path i = write("i.npy", "<i4", "(2,)", ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(4).putInt(-9).array());
        assertThat(Npy.read(i).toLongs()).containsExactly(4, -9);
    }

    @Test
    void clearErrors() throws Exception {
        Path f = temp.resolve("x.npy");
        Npy.writeFloat32(f, new int[] {2, 3}, new float[6]);
        assertThatThrownBy(() -> Npy.read(f).requireRank(4, "[batch, channels, height, width]"))
                .isInstanceOf(NpyException.class)
                .hasMessage(f + ": expected a rank-4 array [batch, channels, height, width], got shape [2, 3]");
        assertThatThrownBy(() -> Npy.read(f).toLongs()).hasMessageContaining("dtype <f4 where integers");

        Path i = write("i.npy", "<i8", "(1,)", new byte[8]);
        assertThatThrownBy(() -> Npy.read(i).requireType(NpyType.FLOAT32))
                .hasMessage(i + ": dtype <i8 but <f4 (float32) is required: convert with array.astype(numpy.float32)");

        Path u8 = write("u.npy", "|u1", "(1,)", new byte[1]);
        assertThatThrownBy(() -> Npy.read(u8)).hasMessageContaining("dtype '|u1' is not supported");
        Path big = write("b.npy", ">f4", "(1,)", new byte[4]);
        assertThatThrownBy(() -> Npy.read(big)).hasMessageContaining("dtype '>f4' is not supported");
        Path fortran = writeHeader("fo.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", new byte[4]);
        assertThatThrownBy(() -> Npy.read(fortran)).hasMessageContaining("Fortran-ordered");
        Path shortData = write("s.npy", "<f4", "(4,)", new byte[8]);
        assertThatThrownBy(() -> Npy.read(shortData)).hasMessageContaining("truncated");
        Path text = temp.resolve("t.npy");
        Files.writeString(text, "hello, world");
        assertThatThrownBy(() -> Npy.read(text)).hasMessage(text + ": not an .npy file (missing the \\x93NUMPY magic)");
    }

    private Path write(String name, String descr, String shape, byte[] data) throws Exception {
        return writeHeader(name, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }", data);
    }

    private Path writeHeader(String name, String dict, byte[] data) throws Exception {
        String header = dict + "\n";
        ByteBuffer out = ByteBuffer.allocate(10 + header.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length())
                .put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        Path f = temp.resolve(name);
        Files.write(f, out.array());
        return f;
    }
}
