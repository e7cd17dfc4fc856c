package ai.crate.flink;

import ai.crate.patchify.ImageBatch;
import ai.crate.patchify.BatchPatchifier;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.runtime.bundle.Sha256;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.signing.BundleSignature;
import ai.crate.runtime.signing.SignatureException;
import ai.crate.runtime.signing.TrustedKeys;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A model ready to serve: the loaded bundle, its engine (warmed by one full batch), its patchifier (on as many threads
 * as the engine) and the batch its frames are prepared into. Each version brings its own, so a new version may change
 * the input size. Close it to release the engine and the patchifier's threads.
 */
public final class ServingModel implements AutoCloseable {
    private final LoadedModel model;
    private final CrateEngine engine;
    private final BatchPatchifier patchifier;
    private final ImageBatch batch;
    private final ModelAnnouncement announcement;

    private ServingModel(LoadedModel model, CrateEngine engine, BatchPatchifier patchifier, ImageBatch batch,
                         ModelAnnouncement announcement) {
        this.model = model;
        this.engine = engine;
        this.patchifier = patchifier;
        this.batch = batch;
        this.announcement = announcement;
    }

    /** The job's initial model, from {@code --model-uri}. */
    public static ServingModel initial(InferenceOptions options) throws Exception {
        return open(bundlePath(options.modelUri()), options, null);
    }

    /**
     * Verifies and loads an announced version: the bundle's {@code manifest.json} must have the announced sha256, be
     * signed by one of the {@code --trusted-keys} and name the announced model and version, and every other file must
     * match its sha256 in the manifest.
     *
     * @throws ModelRefusedException with the reason, when any of that fails
     */
    public static ServingModel announced(ModelAnnouncement announcement, InferenceOptions options)
            throws ModelRefusedException {
        if (announcement.isBad()) {
            throw new ModelRefusedException(announcement.error);
        }
        Path bundle;
        try {
            bundle = bundlePath(announcement.bundleUri);
        } catch (IllegalArgumentException e) {
            throw new ModelRefusedException(e.getMessage());
        }
        Path manifest = bundle.resolve("manifest.json");
        String actual;
        try {
            actual = Sha256.of(manifest);
        } catch (IOException e) {
            throw new ModelRefusedException("cannot read " + manifest + ": " + e.getMessage());
        }
        if (!actual.equals(announcement.sha256)) {
            throw new ModelRefusedException(manifest + " has sha256 " + actual + ", the announcement says "
                    + announcement.sha256);
        }
        verifySignature(bundle, options);
        ServingModel serving;
        try {
            serving = open(bundle, options, announcement);
        } catch (Exception e) {
            throw new ModelRefusedException("cannot load " + bundle + ": " + e.getMessage());
        }
        if (!serving.name().equals(announcement.name) || !serving.version().equals(announcement.version)) {
            String found = serving.name() + " version " + serving.version();
            serving.close();
            throw new ModelRefusedException(bundle + " holds " + found + ", the announcement says "
                    + announcement.name + " version " + announcement.version);
        }
        return serving;
    }

    private static ServingModel open(Path bundle, InferenceOptions options, ModelAnnouncement announcement)
            throws Exception {
        LoadedModel model = ModelLoader.load(bundle, Optional.empty());
        CrateEngine engine = Engines.create(Engines.AUTO, model.weights(), new EngineOptions(options.engineThreads()));
        try {
            PreprocessSpec spec = new PreprocessSpec(model.preprocessing(), ResizeMode.SHORTER_SIDE);
            ImageBatch batch = new ImageBatch(options.maxBatch(), spec);
            engine.forward(new float[batch.array().length], options.maxBatch());
            return new ServingModel(model, engine, new BatchPatchifier(spec, options.engineThreads()), batch,
                    announcement);
        } catch (Throwable e) {
            engine.close();
            throw e;
        }
    }

    /** Refuses a bundle not signed by a trusted key, or one whose files do not match its signed manifest. */
    private static void verifySignature(Path bundle, InferenceOptions options) throws ModelRefusedException {
        if (options.trustedKeys() == null) {
            throw new ModelRefusedException(bundle + ": announced versions must be signed, and this job trusts no key;"
                    + " start it with --trusted-keys (a .pub file or a directory of them, comma-separated)");
        }
        try {
            List<Path> locations = Arrays.stream(options.trustedKeys().split(",")).map(String::trim)
                    .filter(s -> !s.isEmpty()).map(Path::of).toList();
            BundleSignature.verify(bundle, TrustedKeys.load(locations));
        } catch (SignatureException e) {
            throw new ModelRefusedException(e.getMessage());
        } catch (IOException e) {
            throw new ModelRefusedException("cannot verify " + bundle + ": " + e);
        }
    }

    /** A bundle directory from a {@code file:} URI or a plain path; other schemes are refused with their name. */
    static Path bundlePath(String uri) {
        Path path;
        if (uri.startsWith("file:")) {
            try {
                path = Path.of(new URI(uri));
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw new IllegalArgumentException("bundle URI '" + uri + "' is not a valid file URI: "
                        + e.getMessage());
            }
        } else if (uri.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
            throw new IllegalArgumentException("bundle URI '" + uri + "': only file: URIs and paths (a directory"
                    + " every TaskManager can read) are supported");
        } else {
            path = Path.of(uri);
        }
        if (!Files.isDirectory(path)) {
            throw new IllegalArgumentException("bundle URI '" + uri + "': " + path + " is not a directory");
        }
        return path;
    }

    public LoadedModel model() {
        return model;
    }

    public CrateEngine engine() {
        return engine;
    }

    public BatchPatchifier patchifier() {
        return patchifier;
    }

    public ImageBatch batch() {
        return batch;
    }

    /** The announcement this version came from, or null for the job's initial model. */
    public ModelAnnouncement announcement() {
        return announcement;
    }

    public String name() {
        return model.name();
    }

    public String version() {
        return model.version();
    }

    @Override
    public void close() {
        engine.close();
        patchifier.close();
    }
}
