package ai.crate.flink;

import ai.crate.runtime.bundle.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelSwitcherTest {
    private static final Path MODEL = Path.of("../ops/demo/crate-shapes");

    @Test
    void outcomesComeBackInRequestOrderWithRefusalReasons(@TempDir Path temp) throws Exception {
        Path signed = SignedBundles.copyAsSignedVersion(MODEL, temp.resolve("signed"), "1",
                SignedBundles.newKey(temp.resolve("keys"), "release"));
        InferenceOptions options = InferenceOptions.parse("--bootstrap", "localhost:9092", "--model-uri",
                MODEL.toString(), "--engine-threads", "1", "--max-batch", "2", "--trusted-keys",
                temp.resolve("keys").toString());
        String sha256 = Sha256.of(signed.resolve("manifest.json"));
        try (ModelSwitcher switcher = new ModelSwitcher(a -> ServingModel.announced(a, options), "test-loader")) {
            switcher.request(new ModelAnnouncement("crate-shapes", "1", signed.toString(), "0".repeat(64)));
            switcher.request(new ModelAnnouncement("crate-shapes", "1", "https://registry/x", "0".repeat(64)));
            switcher.request(new ModelAnnouncement("crate-shapes", "9", signed.toUri().toString(), sha256));
            switcher.request(new ModelAnnouncement("crate-shapes", "1", signed.toUri().toString(), sha256));
            assertThat(switcher.pending()).hasSize(4);

            assertThat(next(switcher).reason()).contains("has sha256").contains("the announcement says 0000");
            assertThat(next(switcher).reason()).contains("only file: URIs and paths");
            assertThat(next(switcher).reason()).contains("holds crate-shapes version 1, the announcement says"
                    + " crate-shapes version 9");
            ModelSwitcher.Outcome loaded = next(switcher);
            assertThat(loaded.accepted()).isTrue();
            try (ServingModel model = loaded.model()) {
                assertThat(model.version()).isEqualTo("1");
                assertThat(model.announcement()).isNotNull();
                assertThat(model.batch().capacity()).isEqualTo(2);
            }
            assertThat(switcher.busy()).isFalse();
        }
    }

    @Test
    void aModelThatFinishesLoadingAfterCloseIsClosedNotLeaked() throws Exception {
        InferenceOptions options = InferenceOptions.parse("--bootstrap", "localhost:9092", "--model-uri",
                MODEL.toString(), "--engine-threads", "1", "--max-batch", "2");
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<ServingModel> loaded = new AtomicReference<>();
        ModelSwitcher switcher = new ModelSwitcher(announcement -> {
            boolean interrupted = false;
            while (release.getCount() > 0) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            try {
                ServingModel model = ServingModel.initial(options);
                loaded.set(model);
                return model;
            } catch (Exception e) {
                throw new ModelRefusedException(e.toString());
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }, "test-loader", Duration.ofMillis(100));
        switcher.request(new ModelAnnouncement("crate-shapes", "1", MODEL.toString(), "0".repeat(64)));
        switcher.close();
        release.countDown();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        boolean closed = false;
        while (!closed && System.nanoTime() < deadline) {
            ServingModel model = loaded.get();
            if (model != null) {
                try {
                    model.engine().forward(new float[model.batch().array().length], 2);
                } catch (IllegalStateException e) {
                    closed = e.getMessage().contains("closed");
                }
            }
            Thread.sleep(10);
        }
        assertThat(closed).as("the late model's engine was closed").isTrue();
    }

    @Test
    void bundleLocationsAreCheckedWithClearErrors() {
        assertThatThrownBy(() -> ServingModel.bundlePath("s3://bucket/model"))
                .hasMessageContaining("'s3://bucket/model': only file: URIs");
        assertThatThrownBy(() -> ServingModel.bundlePath("/no/such/bundle"))
                .hasMessageContaining("/no/such/bundle is not a directory");
        assertThat(ServingModel.bundlePath(MODEL.toUri().toString())).isEqualTo(MODEL.toAbsolutePath());
    }

    private static ModelSwitcher.Outcome next(ModelSwitcher switcher) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Optional<ModelSwitcher.Outcome> outcome = switcher.poll();
        while (outcome.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
            outcome = switcher.poll();
        }
        return outcome.orElseThrow();
    }
}
