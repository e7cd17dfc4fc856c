package ai.crate.edge;

import ai.crate.runtime.signing.BundleSignature;
import ai.crate.runtime.signing.SignatureException;
import ai.crate.runtime.signing.TrustedKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Which bundle the agent serves, kept across restarts in {@code state_dir/active-model}: an update or a rollback
 * records it, and a restart serves it again (after checking its signature) instead of the {@code model} of
 * {@code agent.yaml}. Without {@code updates}, or when the recorded bundle is gone or fails its checks, the agent
 * serves {@code model} and says why.
 */
final class ActiveModel {
    private static final Logger LOG = LoggerFactory.getLogger(ActiveModel.class);
    private static final String FILE = "active-model";

    private ActiveModel() {
    }

    /** The bundle to serve at start. */
    static Path bundle(AgentConfig config) {
        Path file = config.stateDirectory().resolve(FILE);
        if (config.updates() == null || !Files.isRegularFile(file)) {
            return config.model();
        }
        try {
            Path recorded = Path.of(Files.readString(file).strip());
            if (recorded.equals(config.model())) {
                return recorded;
            }
            BundleSignature.verify(recorded, TrustedKeys.load(config.updates().trustedKeys()));
            LOG.info("serving {} again, the version active before the restart", recorded);
            return recorded;
        } catch (IOException | SignatureException | RuntimeException e) {
            LOG.warn("the version active before the restart cannot be served again ({}); serving {}", e.getMessage(),
                    config.model());
            return config.model();
        }
    }

    /** Records {@code bundle} as the one serving (atomically). */
    static void record(Path stateDirectory, Path bundle) {
        try {
            Files.createDirectories(stateDirectory);
            Path temp = stateDirectory.resolve(FILE + ".tmp");
            Files.writeString(temp, bundle.toAbsolutePath() + "\n");
            Files.move(temp, stateDirectory.resolve(FILE), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warn("cannot record the active version in {} ({}); a restart will serve the configured model",
                    stateDirectory, e.getMessage());
        }
    }
}
