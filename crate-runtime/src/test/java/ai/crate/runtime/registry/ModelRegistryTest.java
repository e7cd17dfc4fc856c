package ai.crate.runtime.registry;

import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.bundle.Preprocessing;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.model.RandomWeights;
import ai.crate.runtime.signing.BundleSignature;
import ai.crate.runtime.signing.SigningKeys;
import ai.crate.runtime.signing.TrustedKeys;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Publishing, promotion history, fetching, and the HTTP view with range requests. */
class ModelRegistryTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;
    private Path keys;
    private TrustedKeys trusted;
    private ModelRegistry registry;

    @BeforeEach
    void setUp() throws Exception {
        keys = temp.resolve("keys");
        SigningKeys.generate(keys, "release");
        trusted = TrustedKeys.load(List.of(keys));
        registry = ModelRegistry.open(temp.resolve("registry"));
    }

    private Path bundle(String version, long seed, boolean sign) throws Exception {
        CrateConfig config = CrateConfig.builder().imageSize(16, 16).patchSize(8, 8).numClasses(3).dim(16).depth(2)
                .heads(2).dimHead(8).pool(Pool.CLS).build();
        Path dir = Files.createTempDirectory(temp, "bundle-").resolve("shapes-" + version);
        ModelBundle.write(dir, "shapes", version, version.equals("1") ? null : "1", RandomWeights.of(config, seed),
                List.of("a", "b", "c"), Preprocessing.imagenetDefaults(config));
        if (sign) {
            BundleSignature.sign(dir, SigningKeys.readPrivate(keys.resolve("release.key")),
                    SigningKeys.publicBeside(keys.resolve("release.key")));
        }
        return dir;
    }

    @Test
    void aPromoteCutShortLeavesTheNewVersionInProductionAndTheNextPromoteTidiesUp() throws Exception {
        registry.publish(bundle("1", 1, true), Optional.of(trusted));
        registry.promote("shapes", "1", "first release");
        Path v1 = temp.resolve("registry/models/shapes/1.json");
        byte[] v1InProduction = Files.readAllBytes(v1);
        Thread.sleep(5);
        registry.publish(bundle("2", 2, true), Optional.of(trusted));
        registry.promote("shapes", "2", "better");
        Files.write(v1, v1InProduction);
        assertThat(registry.versions("shapes")).filteredOn(r -> r.state() == VersionState.PRODUCTION).hasSize(2);
        assertThat(registry.production("shapes")).as("the version promoted last").map(VersionRecord::version)
                .contains("2");

        registry.publish(bundle("3", 3, true), Optional.of(trusted));
        registry.promote("shapes", "3", "better still");
        assertThat(registry.versions("shapes")).extracting(VersionRecord::state)
                .containsExactly(VersionState.RETIRED, VersionState.RETIRED, VersionState.PRODUCTION);
    }

    @Test
    void versionsArePublishedOncePromotedAndRetiredWithTheirHistory() throws Exception {
        Path first = bundle("1", 1, true);
        VersionRecord v1 = registry.publish(first, Optional.of(trusted));
        assertThat(v1.state()).isEqualTo(VersionState.CANDIDATE);
        assertThat(v1.signedBy()).isEqualTo(trusted.ids().get(0));
        assertThat(v1.files()).containsKeys("manifest.json", "manifest.sig", "weights.safetensors", "labels.txt");
        assertThat(registry.publish(first, Optional.of(trusted)).manifestSha256())
                .as("the same content again is a no-op").isEqualTo(v1.manifestSha256());
        assertThatThrownBy(() -> registry.publish(bundle("1", 2, true), Optional.of(trusted)))
                .isInstanceOf(RegistryException.class).hasMessageContaining("already in the registry with other content");

        registry.promote("shapes", "1", "first release");
        registry.publish(bundle("2", 3, true), Optional.of(trusted));
        VersionRecord v2 = registry.promote("shapes", "2", "beats version 1 by 4 points");
        assertThat(v2.state()).isEqualTo(VersionState.PRODUCTION);
        VersionRecord old = registry.get("shapes", "1");
        assertThat(old.state()).isEqualTo(VersionState.RETIRED);
        assertThat(old.history()).extracting(VersionRecord.Transition::state)
                .containsExactly(VersionState.CANDIDATE, VersionState.PRODUCTION, VersionState.RETIRED);
        assertThat(old.history().get(2).reason()).isEqualTo("superseded by version 2: beats version 1 by 4 points");
        assertThat(registry.production("shapes")).map(VersionRecord::version).contains("2");
        assertThat(registry.versions("shapes")).extracting(VersionRecord::version).containsExactly("1", "2");
        assertThat(registry.retire("shapes", "2", "rolled back").state()).isEqualTo(VersionState.RETIRED);
        assertThat(registry.production("shapes")).isEmpty();

        Path fetched = registry.fetch("shapes", "2", temp.resolve("fetched"));
        assertThat(BundleSignature.verify(fetched, trusted)).isEqualTo(v2.signedBy());
        assertThatThrownBy(() -> registry.fetch("shapes", "2", fetched)).hasMessageContaining("exists");
    }

    @Test
    void unsignedTamperedOrBadlyNamedBundlesAreRefused() throws Exception {
        assertThatThrownBy(() -> registry.publish(bundle("1", 1, false), Optional.of(trusted)))
                .hasMessageContaining("not signed");
        Path tampered = bundle("1", 4, true);
        Files.writeString(tampered.resolve("labels.txt"), "x\ny\nz\n");
        assertThatThrownBy(() -> registry.publish(tampered, Optional.of(trusted)))
                .hasMessageContaining("labels.txt: sha256");
        assertThatThrownBy(() -> registry.get("shapes", "../../etc")).isInstanceOf(RegistryException.class)
                .hasMessageContaining("version '../../etc' must be");
        assertThatThrownBy(() -> registry.promote("shapes", "9", "x")).hasMessageContaining("no version 9 of model");
        assertThat(registry.models()).isEmpty();
    }

    @Test
    void theHttpViewServesRecordsAndResumableBlobs() throws Exception {
        VersionRecord v1 = registry.publish(bundle("1", 1, true), Optional.of(trusted));
        String weights = v1.files().get("weights.safetensors");
        byte[] expected = Files.readAllBytes(registry.blob(weights).orElseThrow());
        HttpClient http = HttpClient.newHttpClient();
        try (RegistryServer server = RegistryServer.start(registry, "127.0.0.1", 0)) {
            String base = "http://127.0.0.1:" + server.port() + "/v1/";
            assertThat(get(http, base + "models", null).body()).isEqualTo("[\"shapes\"]");
            JsonNode record = JSON.readTree(get(http, base + "models/shapes/1", null).body());
            assertThat(record.get("manifest_sha256").asText()).isEqualTo(v1.manifestSha256());
            assertThat(record.get("state").asText()).isEqualTo("candidate");

            HttpResponse<byte[]> whole = getBytes(http, base + "blobs/" + weights, null);
            assertThat(whole.statusCode()).isEqualTo(200);
            assertThat(whole.body()).isEqualTo(expected);
            HttpResponse<byte[]> rest = getBytes(http, base + "blobs/" + weights, "bytes=100-");
            assertThat(rest.statusCode()).isEqualTo(206);
            assertThat(rest.headers().firstValue("Content-Range")).contains("bytes 100-" + (expected.length - 1)
                    + "/" + expected.length);
            assertThat(rest.body()).isEqualTo(Arrays.copyOfRange(expected, 100, expected.length));
            assertThat(getBytes(http, base + "blobs/" + weights, "bytes=10-19").body())
                    .isEqualTo(Arrays.copyOfRange(expected, 10, 20));

            assertThat(get(http, base + "blobs/" + weights, "bytes=" + expected.length + "-").statusCode())
                    .isEqualTo(416);
            assertThat(get(http, base + "blobs/" + "0".repeat(64), null).statusCode()).isEqualTo(404);
            assertThat(get(http, base + "models/shapes/7", null).body()).contains("no version 7 of model shapes");
            assertThat(get(http, base + "models/sh..apes%2F..", null).statusCode()).isIn(400, 404);
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "models"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url, String range) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (range != null) {
            request.header("Range", range);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<byte[]> getBytes(HttpClient http, String url, String range) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (range != null) {
            request.header("Range", range);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
