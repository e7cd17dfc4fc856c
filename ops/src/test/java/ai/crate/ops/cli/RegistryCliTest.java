package ai.crate.ops.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code crate keys gen}, {@code bundle sign|verify} and {@code registry add|list|promote|fetch} on the demo bundle:
 * the round trip a release goes through, and the refusals a tampered bundle or an untrusted key get.
 */
class RegistryCliTest {
    private static final Path DEMO = Path.of("demo/crate-shapes");
    @TempDir
    Path temp;
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @Test
    void aReleaseIsSignedPublishedPromotedAndFetched() throws Exception {
        Path bundle = copy(DEMO, temp.resolve("bundle"));
        Path keys = temp.resolve("keys");
        Path registry = temp.resolve("registry");
        assertThat(CrateCli.run("keys", "gen", "--dir", keys.toString())).as(console.err()).isZero();
        assertThat(CrateCli.run("bundle", "sign", "--bundle", bundle.toString(), "--key",
                keys.resolve("release.key").toString())).as(console.err()).isZero();
        assertThat(CrateCli.run("bundle", "verify", "--bundle", bundle.toString(), "--trusted", keys.toString()))
                .as(console.err()).isZero();
        assertThat(console.out()).contains("every file intact");
        assertThat(CrateCli.run("registry", "add", "--dir", registry.toString(), "--bundle", bundle.toString(),
                "--trusted", keys.resolve("release.pub").toString())).as(console.err()).isZero();
        assertThat(CrateCli.run("registry", "promote", "--dir", registry.toString(), "--model", "crate-shapes",
                "--version", "1", "--reason", "demo release")).as(console.err()).isZero();
        assertThat(CrateCli.run("registry", "list", "--dir", registry.toString(), "--history")).isZero();
        assertThat(console.out()).contains("crate-shapes 1 production").contains("production: demo release");
        Path fetched = temp.resolve("fetched");
        assertThat(CrateCli.run("registry", "fetch", "--dir", registry.toString(), "--model", "crate-shapes",
                "--version", "1", "--output", fetched.toString())).as(console.err()).isZero();
        assertThat(CrateCli.run("bundle", "verify", "--bundle", fetched.toString(), "--trusted", keys.toString()))
                .isZero();
    }

    @Test
    void tamperedBundlesAndUntrustedKeysAreRefusedWithTheReason() throws Exception {
        Path bundle = copy(DEMO, temp.resolve("bundle"));
        Path keys = temp.resolve("keys");
        Path stranger = temp.resolve("stranger");
        CrateCli.run("keys", "gen", "--dir", keys.toString());
        CrateCli.run("keys", "gen", "--dir", stranger.toString(), "--name", "other");
        CrateCli.run("bundle", "sign", "--bundle", bundle.toString(), "--key", keys.resolve("release.key").toString());

        assertThat(CrateCli.run("bundle", "verify", "--bundle", bundle.toString(), "--trusted", stranger.toString()))
                .isEqualTo(1);
        assertThat(console.err()).contains("crate verify:").contains("which is not trusted here");
        Files.writeString(bundle.resolve("labels.txt"), Files.readString(bundle.resolve("labels.txt")) + "extra\n");
        assertThat(CrateCli.run("registry", "add", "--dir", temp.resolve("registry").toString(), "--bundle",
                bundle.toString(), "--trusted", keys.toString())).isEqualTo(1);
        assertThat(console.err()).contains("labels.txt: sha256");
        assertThat(CrateCli.run("keys", "gen", "--dir", keys.toString())).isEqualTo(1);
        assertThat(console.err()).contains("exists; keys are never overwritten");
    }

    private static Path copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
        return to;
    }
}
