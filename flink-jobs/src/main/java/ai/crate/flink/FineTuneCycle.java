package ai.crate.flink;

import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.runtime.CrateException;
import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.Engines;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.registry.ModelRegistry;
import ai.crate.runtime.registry.VersionRecord;
import ai.crate.runtime.signing.BundleSignature;
import ai.crate.runtime.signing.SigningKeys;
import ai.crate.runtime.signing.TrustedKeys;
import ai.crate.runtime.train.FineTuner;
import ai.crate.runtime.train.TrainingSet;
import ai.crate.runtime.whitebox.WhiteBoxReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One fine-tune of {@link FineTuneJob}, run off the stream thread: the replay buffer's frames, in camera and seq order
 * (so the same frames train the same candidate whatever order they arrived in), are split into training and holdout, a candidate is trained from production and judged by {@link FineTuner}'s gate, written as a bundle
 * (with its training record and a white-box reference measured on its training frames), signed, and published to
 * the registry, where it is promoted to production when accepted or retired with the reason when refused.
 */
final class FineTuneCycle {
    private static final Logger LOG = LoggerFactory.getLogger(FineTuneCycle.class);
    private static final int MIN_HOLDOUT = 10;

    /** The production version the cycle starts from: its bundle directory and the loaded model. */
    record Production(Path bundle, LoadedModel model) {
        String version() {
            return model.version();
        }
    }

    /**
     * What a cycle ended with. {@code accepted}: {@code next} is the new production version and {@code sha256} its
     * manifest's digest, to announce. Otherwise {@code reason} says why production stays (a refusal, or too little
     * data); {@code failed} when something broke rather than the gate deciding.
     */
    record Outcome(String version, boolean accepted, boolean failed, String reason, Production next, String sha256,
                   Map<String, Object> summary) {
    }

    private FineTuneCycle() {
    }

    /**
     * Runs a cycle.
     *
     * @param frames     the replay buffer's contents when the cycle started
     * @param regression the fixed regression set, prepared for the production model
     * @param version    the version the candidate gets
     */
    static Outcome run(Production production, List<LabelledFrame> frames, TrainingSet regression, String version,
                       String trigger, FineTuneOptions options) {
        try {
            return train(production, frames, regression, version, trigger, options);
        } catch (Exception e) {
            if (Thread.currentThread().isInterrupted()) {
                LOG.info("fine-tune of version {} stopped: the job is closing ({})", version, e.getMessage());
                return new Outcome(version, false, true, "stopped: the job is closing", null, null, Map.of());
            }
            LOG.error("fine-tune of version {} failed", version, e);
            return new Outcome(version, false, true, "fine-tune failed: " + e, null, null, Map.of());
        }
    }

    private static Outcome train(Production production, List<LabelledFrame> frames, TrainingSet regression,
                                 String version, String trigger, FineTuneOptions options)
            throws IOException, CrateException {
        LoadedModel model = production.model();
        PreprocessSpec spec = new PreprocessSpec(model.preprocessing(), ResizeMode.SHORTER_SIDE);
        List<LabelledFrame> trainFrames = new ArrayList<>();
        List<LabelledFrame> holdoutFrames = new ArrayList<>();
        List<LabelledFrame> ordered = new ArrayList<>(frames);
        ordered.sort(Comparator.comparing((LabelledFrame f) -> f.cameraId).thenComparingLong(f -> f.seq));
        for (LabelledFrame frame : ordered) {
            (ReplayBuffer.holdout(frame, options.holdout()) ? holdoutFrames : trainFrames).add(frame);
        }
        FeedbackFrames train = FeedbackFrames.prepare(trainFrames, model.labels(), spec, "feedback");
        FeedbackFrames holdout = FeedbackFrames.prepare(holdoutFrames, model.labels(), spec, "feedback-holdout");
        int skipped = train.skipped().size() + holdout.skipped().size();
        if (skipped > 0) {
            LOG.warn("fine-tune of version {}: {} frames left out, e.g. {}", version, skipped,
                    Stream.concat(train.skipped().stream(), holdout.skipped().stream()).findFirst().orElse(""));
        }
        if (holdout.size() < MIN_HOLDOUT || train.size() < options.batch()) {
            return new Outcome(version, false, false, "skipped: " + train.size() + " training and "
                    + holdout.size() + " holdout frames usable; a fine-tune needs at least " + options.batch()
                    + " and " + MIN_HOLDOUT, null, null, Map.of());
        }
        LOG.info("fine-tuning {} version {} into version {} on {} frames ({} held out), trigger: {}", model.name(),
                model.version(), version, train.size(), holdout.size(), trigger);
        FineTuner.Decision decision = FineTuner.run(model.weights(), train, holdout, regression, options.settings());
        Map<String, Object> summary = summary(decision, train, holdout, regression, frames, skipped, trigger,
                options);

        Path bundle = options.bundles().resolve(model.name() + "-" + version);
        deleteTree(bundle);
        ModelBundle.write(bundle, model.name(), version, model.version(), decision.candidate(), model.labels(),
                model.preprocessing());
        WhiteBoxReference reference = reference(decision, train, version);
        ModelBundle.rewriteManifest(bundle, manifest -> {
            var out = manifest.withTraining(summary);
            return reference != null ? out.withReference(reference) : out;
        });
        Path keyFile = Path.of(options.signingKey());
        PrivateKey key = SigningKeys.readPrivate(keyFile);
        PublicKey publicKey = SigningKeys.publicBeside(keyFile);
        BundleSignature.sign(bundle, key, publicKey);

        ModelRegistry registry = ModelRegistry.open(Path.of(options.registry()));
        VersionRecord record = registry.publish(bundle, Optional.of(TrustedKeys.of(publicKey)));
        if (decision.accepted()) {
            registry.promote(model.name(), version, decision.reason());
            LOG.info("{} version {} {}", model.name(), version, decision.reason());
            LoadedModel next = new LoadedModel(bundle, model.name(), version, model.layout(), decision.candidate(),
                    model.labels(), model.preprocessing(), reference);
            return new Outcome(version, true, false, decision.reason(), new Production(bundle, next),
                    record.manifestSha256(), summary);
        }
        registry.retire(model.name(), version, decision.reason());
        deleteTree(bundle);
        LOG.warn("{} version {} {}", model.name(), version, decision.reason());
        return new Outcome(version, false, false, decision.reason(), null, null, summary);
    }

    /** The manifest's training record: the data, the settings and the gate's measurements. */
    private static Map<String, Object> summary(FineTuner.Decision decision, TrainingSet train, TrainingSet holdout,
                                               TrainingSet regression, List<LabelledFrame> frames, int skipped,
                                               String trigger, FineTuneOptions options) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("data", "feedback frames joined on camera/seq");
        summary.put("cameras", frames.stream().map(f -> f.cameraId).distinct().count());
        summary.put("train_frames", train.size());
        summary.put("holdout_frames", holdout.size());
        summary.put("frames_left_out", skipped);
        summary.put("regression_set", regression.describe());
        summary.put("trigger", trigger);
        summary.put("train", options.train());
        summary.put("optimizer", options.optimizer());
        summary.put("lr", options.lr());
        summary.put("steps", decision.steps());
        summary.put("seconds", Math.round(decision.seconds() * 10) / 10.0);
        summary.put("holdout_before", decision.holdoutBefore());
        summary.put("holdout_after", decision.holdoutAfter());
        summary.put("regression_before", decision.regressionBefore());
        summary.put("regression_after", decision.regressionAfter());
        summary.put("margin", options.margin());
        summary.put("tolerance", options.tolerance());
        summary.put("decision", decision.reason());
        return summary;
    }

    /** The candidate's white-box reference on its training frames, or null when they are too few to measure. */
    private static WhiteBoxReference reference(FineTuner.Decision decision, TrainingSet train, String version) {
        try (CrateEngine engine = Engines.create(Engines.AUTO, decision.candidate(), new EngineOptions(1))) {
            WhiteBoxReference measured = WhiteBoxReference.measure(engine, train, 512, 32);
            return new WhiteBoxReference("feedback:" + measured.images(), measured.images(), measured.layers(),
                    measured.covariance());
        } catch (IllegalArgumentException e) {
            LOG.warn("version {} gets no white-box reference (drift detection off for it): {}", version,
                    e.getMessage());
            return null;
        }
    }

    private static void deleteTree(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(directory)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
