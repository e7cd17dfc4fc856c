package ai.crate.ops.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the checkout the CLI was built from keeps what commands use by default: the demo's bundled model
 * ({@code ops/demo/}) and the jobs jar ({@code flink-jobs/target/}), found from the CLI's own location so that
 * {@code bin/crate} works from any directory.
 */
final class DemoFiles {
    private DemoFiles() {
    }

    static Path bundledModel() {
        Path candidate = opsDirectory().resolve("demo").resolve("crate-shapes");
        if (!Files.isDirectory(candidate)) {
            Path fromRoot = Path.of("ops", "demo", "crate-shapes");
            if (Files.isDirectory(fromRoot)) {
                return fromRoot;
            }
            throw new IllegalStateException("the bundled demo model is missing (looked in " + candidate
                    + "); pass --model BUNDLE");
        }
        return candidate;
    }

    /** The jobs jar of this checkout (it may not be built yet). */
    static Path jobsJar() {
        return opsDirectory().resolveSibling("flink-jobs").resolve("target")
                .resolve("crate-flink-jobs-0.1.0-SNAPSHOT-job.jar");
    }

    private static Path opsDirectory() {
        try {
            Path jar = Path.of(DemoFiles.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.toAbsolutePath().getParent().getParent();
        } catch (URISyntaxException | RuntimeException e) {
            return Path.of("ops").toAbsolutePath();
        }
    }
}
