package ai.crate.ops.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the demo's bundled files are: {@code ops/demo/} of the checkout the CLI was built from. */
final class DemoFiles {
    private DemoFiles() {
    }

    static Path bundledModel() {
        Path candidate;
        try {
            Path jar = Path.of(DemoFiles.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path ops = Files.isDirectory(jar) ? jar.getParent().getParent() : jar.getParent().getParent();
            candidate = ops.resolve("demo").resolve("crate-shapes");
        } catch (URISyntaxException | RuntimeException e) {
            candidate = Path.of("ops", "demo", "crate-shapes");
        }
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
}
