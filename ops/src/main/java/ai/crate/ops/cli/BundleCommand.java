package ai.crate.ops.cli;

import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.load.ModelLoader;
import ai.crate.runtime.signing.BundleSignature;
import ai.crate.runtime.signing.SigningKeys;
import ai.crate.runtime.signing.TrustedKeys;
import ai.crate.runtime.train.TrainingSet;
import ai.crate.runtime.whitebox.WhiteBoxReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code crate bundle sign|verify}: Ed25519 signatures over model bundles. */
@Command(name = "bundle", mixinStandardHelpOptions = true, description = "Sign and verify model bundles.",
        subcommands = {BundleCommand.Sign.class, BundleCommand.Verify.class, BundleCommand.Reference.class})
final class BundleCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Writes {@code manifest.sig} into a bundle. */
    @Command(name = "sign", mixinStandardHelpOptions = true,
            description = "Sign a bundle's manifest (which pins every file by sha256) into BUNDLE/manifest.sig.")
    static final class Sign implements Callable<Integer> {
        @Option(names = "--bundle", required = true, paramLabel = "DIR")
        Path bundle;

        @Option(names = "--key", required = true, paramLabel = "NAME.key",
                description = "The private key; NAME.pub must be beside it.")
        Path key;

        @Override
        public Integer call() throws Exception {
            var publicKey = SigningKeys.publicBeside(key);
            BundleSignature.sign(bundle, SigningKeys.readPrivate(key), publicKey);
            System.out.println("signed " + bundle + " with key " + SigningKeys.keyId(publicKey));
            return 0;
        }
    }

    /** Measures a white-box reference on data the model knows and records it in the manifest (for drift). */
    @Command(name = "reference", mixinStandardHelpOptions = true,
            description = "Record in the bundle's manifest what its layers normally look like (per-layer coding rate"
                    + " and sparsity, their covariance) on data it was trained for; drift detection compares with it."
                    + " Rewrites manifest.json, so sign the bundle afterwards.")
    static final class Reference implements Callable<Integer> {
        @Option(names = "--bundle", required = true, paramLabel = "DIR")
        Path bundle;

        @Mixin
        DataOptions data;

        @Option(names = "--count", defaultValue = "512", description = "Images measured, from the start of the data"
                + " (default: ${DEFAULT-VALUE}).")
        int count;

        @Option(names = "--threads", description = "Engine threads (default: all cores).")
        Integer threads;

        @Override
        public Integer call() throws Exception {
            LoadedModel model = ModelLoader.load(bundle, Optional.empty());
            TrainingSet set = data.open(model.config(), model.preprocessing()).set();
            WhiteBoxReference reference;
            try (CrateEngine engine = Engines.create(Engines.AUTO, model.weights(), threads == null
                    ? EngineOptions.defaults() : new EngineOptions(threads))) {
                reference = WhiteBoxReference.measure(engine, set, count, 32);
            }
            boolean unsigned = ModelBundle.writeReference(bundle, reference);
            System.out.println("recorded a white-box reference of " + reference.images() + " images of "
                    + reference.source() + " in " + bundle.resolve("manifest.json")
                    + (unsigned ? "; its old signature no longer matched and was removed: sign it again" : ""));
            return 0;
        }
    }

    /** Checks the signature and every file's hash; exits 1 with the reason when the bundle is not trustworthy. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Verify a bundle's signature against trusted keys, then every file's sha256.")
    static final class Verify implements Callable<Integer> {
        @Option(names = "--bundle", required = true, paramLabel = "DIR")
        Path bundle;

        @Option(names = "--trusted", required = true, split = ",", paramLabel = "FILE.pub|DIR",
                description = "Trusted public keys: .pub files or directories of them (comma-separated).")
        List<Path> trusted;

        @Override
        public Integer call() throws Exception {
            String keyId = BundleSignature.verify(bundle, TrustedKeys.load(trusted));
            System.out.println("verified " + bundle + ": signed by trusted key " + keyId + ", every file intact");
            return 0;
        }
    }
}
