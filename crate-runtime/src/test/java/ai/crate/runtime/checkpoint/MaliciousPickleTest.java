package ai.crate.runtime.checkpoint;

import ai.crate.runtime.testing.TorchZipWriter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Hostile or corrupt {@code data.pkl} contents end in a one-line {@link CheckpointException} naming the file, quickly:
 * no hang, no stack overflow, no unchecked exception, no huge allocation.
 */
class MaliciousPickleTest {
    @TempDir
    Path temp;

    /** A pickle case: a name, the raw bytes, and words the message must contain. */
    record Case(String name, byte[] pickle, String problem) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("list as dict key", bytes("\u0080\u0002}]Ns."), "unexpected dict key"),
                new Case("self-containing list as key", bytes("\u0080\u0002}]q\u0000h\u0000aNs."),
                        "unexpected dict key"),
                new Case("list in a set", bytes("\u0080\u0004\u008f(]\u0090."), "unexpected dict key or set element"),
                new Case("BUILD on None", bytes("\u0080\u0002N}b."), "sets the state of None"),
                new Case("negative string length", bytes("\u0080\u0002X\u00f0\u00ff\u00ff\u00ff."), "bytes left"),
                new Case("huge bytes length", bytes("\u0080\u0003B\u00f0\u00ff\u00ff\u007f."), "bytes left"),
                new Case("malformed INT", bytes("\u0080\u0002I abc\n."), "corrupt data.pkl"),
                new Case("call of a non-callable", bytes("\u0080\u0002N)R."), "not callable"),
                new Case("INST opcode", bytes("\u0080\u0002(ios\nsystem\n."), "builds arbitrary objects"),
                new Case("truncated pickle", bytes("\u0080\u0002}(X\u0001\u0000\u0000\u0000a"), "corrupt data.pkl"),
                new Case("negative stride",
                        TorchZipWriter.tensorPickle(4, 0, new int[] {2, 2}, new int[] {2, -1}), "invalid size"),
                new Case("negative offset",
                        TorchZipWriter.tensorPickle(4, -5, new int[] {2}, new int[] {1}), "negative storage offset"),
                new Case("view past its storage",
                        TorchZipWriter.tensorPickle(4, 3, new int[] {2, 2}, new int[] {2, 1}), "reaches element"),
                new Case("overflowing strides",
                        TorchZipWriter.tensorPickle(4, 0, new int[] {3, 3}, new int[] {Integer.MAX_VALUE, 1 << 30}),
                        "reaches element"));
    }

    private static byte[] bytes(String latin1) {
        return latin1.getBytes(StandardCharsets.ISO_8859_1);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void refusedWithOneLineNamingTheFile(Case bad) throws Exception {
        Path file = temp.resolve("bad.pth");
        TorchZipWriter.writeRaw(file, bad.pickle(), List.of(new byte[16]));
        assertTimeoutPreemptively(Duration.ofSeconds(10), () ->
                assertThatThrownBy(() -> Checkpoints.read(file).tensors().values().forEach(t -> t.toFloat32()))
                        .isInstanceOf(CheckpointException.class)
                        .hasMessageStartingWith(file.toString())
                        .hasMessageContaining(bad.problem())
                        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n")));
    }
}
