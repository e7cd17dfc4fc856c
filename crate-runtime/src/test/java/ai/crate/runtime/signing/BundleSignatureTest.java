package ai.crate.runtime.signing;

import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.bundle.Preprocessing;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.model.RandomWeights;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Signing a bundle, and every way a signed bundle can be refused: each with its own clear reason. */
class BundleSignatureTest {
    @TempDir
    Path temp;
    private Path bundle;
    private Path keys;

    @BeforeEach
    void signedBundle() throws Exception {
        CrateConfig config = CrateConfig.builder().imageSize(16, 16).patchSize(8, 8).numClasses(3).dim(16).depth(2)
                .heads(2).dimHead(8).pool(Pool.CLS).build();
        bundle = temp.resolve("bundle");
        ModelBundle.write(bundle, "tiny", "1", null, RandomWeights.of(config, 3), List.of("a", "b", "c"),
                Preprocessing.imagenetDefaults(config));
        keys = temp.resolve("keys");
        SigningKeys.generate(keys, "release");
        BundleSignature.sign(bundle, SigningKeys.readPrivate(keys.resolve("release.key")),
                SigningKeys.publicBeside(keys.resolve("release.key")));
    }

    private TrustedKeys trusted() throws Exception {
        return TrustedKeys.load(List.of(keys));
    }

    @Test
    void aSignedBundleVerifiesAgainstItsKey() throws Exception {
        String id = BundleSignature.verify(bundle, trusted());
        assertThat(id).hasSize(16).isEqualTo(SigningKeys.keyId(SigningKeys.readPublic(keys.resolve("release.pub"))));
        assertThat(Files.readString(keys.resolve("release.key"))).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThatThrownBy(() -> SigningKeys.generate(keys, "release")).isInstanceOf(FileAlreadyExistsException.class);
    }

    @Test
    void alteredWeightsAreRefused() throws Exception {
        try (var channel = Files.newByteChannel(bundle.resolve("weights.safetensors"), StandardOpenOption.WRITE)) {
            channel.position(channel.size() - 3);
            channel.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}));
        }
        assertThatThrownBy(() -> BundleSignature.verify(bundle, trusted())).isInstanceOf(SignatureException.class)
                .hasMessageContaining("signed manifest, but").hasMessageContaining("weights.safetensors: sha256");
    }

    @Test
    void anAlteredManifestIsRefused() throws Exception {
        Path manifest = bundle.resolve("manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"version\" : \"1\"", "\"version\" : \"2\""));
        assertThatThrownBy(() -> BundleSignature.verify(bundle, trusted())).isInstanceOf(SignatureException.class)
                .hasMessageContaining("the signature does not match manifest.json");
    }

    @Test
    void anAlteredSignatureIsRefused() throws Exception {
        Path sig = bundle.resolve(BundleSignature.FILE);
        String text = Files.readString(sig);
        int at = text.indexOf("\"signature\" : \"") + 15;
        char flipped = text.charAt(at) == 'A' ? 'B' : 'A';
        Files.writeString(sig, text.substring(0, at) + flipped + text.substring(at + 1));
        assertThatThrownBy(() -> BundleSignature.verify(bundle, trusted())).isInstanceOf(SignatureException.class)
                .hasMessageContaining("the signature does not match");
        Files.writeString(sig, "{\"algorithm\": \"RSA\"}");
        assertThatThrownBy(() -> BundleSignature.verify(bundle, trusted())).hasMessageContaining("needs algorithm");
    }

    @Test
    void anUntrustedKeyIsRefused() throws Exception {
        Path other = temp.resolve("other");
        SigningKeys.generate(other, "someone-else");
        assertThatThrownBy(() -> BundleSignature.verify(bundle, TrustedKeys.load(List.of(other))))
                .isInstanceOf(SignatureException.class).hasMessageContaining("which is not trusted here");
    }

    @Test
    void anUnsignedBundleAndBadKeyFilesAreRefused() throws Exception {
        Files.delete(bundle.resolve(BundleSignature.FILE));
        assertThatThrownBy(() -> BundleSignature.verify(bundle, trusted())).hasMessageContaining("not signed");
        Path junk = temp.resolve("junk.pub");
        Files.writeString(junk, "hello", StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> SigningKeys.readPublic(junk)).hasMessageContaining("expected a PEM 'PUBLIC KEY'");
        assertThatThrownBy(() -> TrustedKeys.load(List.of(temp.resolve("nowhere"))))
                .hasMessageContaining("no such trusted key file or directory");
    }

    @Test
    void signingWithAMismatchedPublicKeyIsRefused() throws IOException, SignatureException {
        Path other = temp.resolve("other");
        SigningKeys.generate(other, "x");
        assertThatThrownBy(() -> BundleSignature.sign(bundle, SigningKeys.readPrivate(keys.resolve("release.key")),
                SigningKeys.readPublic(other.resolve("x.pub")))).hasMessageContaining("does not belong");
    }
}
