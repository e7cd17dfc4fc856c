package ai.crate.edge.update;

import ai.crate.edge.EdgeTestKit;
import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.registry.ModelRegistry;
import ai.crate.runtime.registry.RegistryServer;
import ai.crate.runtime.registry.VersionRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Downloads from a served registry: complete, resumed, refused over the limit, and refused when bytes differ. */
class BundleDownloadTest {

    @TempDir
    Path temp;
    private ModelRegistry registry;
    private RegistryServer server;
    private URI base;
    private VersionRecord record;

    @BeforeEach
    void serveARegistry() throws Exception {
        Path bundle = EdgeTestKit.copyDemoAsVersion(temp.resolve("bundle"), "2");
        registry = ModelRegistry.open(temp.resolve("registry"));
        record = registry.publish(bundle, Optional.empty());
        server = RegistryServer.start(registry, "127.0.0.1", 0);
        base = URI.create("http://127.0.0.1:" + server.port());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aVersionIsDownloadedWholeAndAnInterruptedFileResumes() throws Exception {
        BundleDownload download = new BundleDownload(HttpClient.newHttpClient(), 64L << 20);
        Path first = download.fetch(base, "crate-shapes", "2", temp.resolve("got"));
        assertThat(ModelBundle.open(first, true).manifest().version()).isEqualTo("2");

        Path target = temp.resolve("resumed");
        Path partial = temp.resolve("resumed.partial");
        Files.createDirectories(partial);
        byte[] weights = Files.readAllBytes(EdgeTestKit.DEMO_MODEL.resolve("weights.safetensors"));
        Files.write(partial.resolve("weights.safetensors.part"), Arrays.copyOf(weights, weights.length / 3));
        download.fetch(base, "crate-shapes", "2", target);
        assertThat(Files.readAllBytes(target.resolve("weights.safetensors"))).isEqualTo(weights);
        assertThat(ModelBundle.open(target, true).manifest().version()).isEqualTo("2");
        assertThat(partial).doesNotExist();
    }

    @Test
    void badPartsLimitsUnknownVersionsAndAlteredBlobsAreRefusedWithTheReason() throws Exception {
        BundleDownload download = new BundleDownload(HttpClient.newHttpClient(), 64L << 20);
        Path partial = temp.resolve("t.partial");
        Files.createDirectories(partial);
        Files.write(partial.resolve("weights.safetensors.part"), new byte[] {1, 2, 3, 4});
        assertThatThrownBy(() -> download.fetch(base, "crate-shapes", "2", temp.resolve("t")))
                .hasMessageContaining("weights.safetensors: downloaded bytes have sha256");
        assertThat(download.fetch(base, "crate-shapes", "2", temp.resolve("t"))).as("the bad part was discarded")
                .exists();

        assertThatThrownBy(() -> new BundleDownload(HttpClient.newHttpClient(), 1000).fetch(base, "crate-shapes",
                "2", temp.resolve("small"))).hasMessageContaining("over the download limit of 1000");
        assertThatThrownBy(() -> download.fetch(base, "crate-shapes", "9", temp.resolve("nine")))
                .hasMessageContaining("answered 404");
        assertThatThrownBy(() -> download.fetch(base, "../etc", "2", temp.resolve("x")))
                .hasMessageContaining("characters a registry refuses");

        Path blob = registry.blob(record.files().get("labels.txt")).orElseThrow();
        Files.writeString(blob, "tampered\n");
        assertThatThrownBy(() -> download.fetch(base, "crate-shapes", "2", temp.resolve("tampered")))
                .hasMessageContaining("labels.txt: downloaded bytes have sha256")
                .hasMessageContaining("altered in the registry or in transit");
    }
}
