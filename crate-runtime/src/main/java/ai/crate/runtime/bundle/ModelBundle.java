package ai.crate.runtime.bundle;

import ai.crate.runtime.checkpoint.CheckpointException;
import ai.crate.runtime.checkpoint.Checkpoints;
import ai.crate.runtime.checkpoint.SafetensorsWriter;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.whitebox.WhiteBoxReference;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A model bundle on disk: {@link #open(Path)} checks every file's sha256 against the manifest and memory-maps the
 * weights; {@link #write} creates one atomically (a temporary directory renamed into place).
 */
public final class ModelBundle {
    private final Path directory;
    private final BundleManifest manifest;
    private final CrateWeights weights;
    private final List<String> labels;

    private ModelBundle(Path directory, BundleManifest manifest, CrateWeights weights, List<String> labels) {
        this.directory = directory;
        this.manifest = manifest;
        this.weights = weights;
        this.labels = List.copyOf(labels);
    }

    /** Whether {@code path} looks like a bundle (a directory with a manifest). */
    public static boolean isBundle(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve(BundleManifest.FILE));
    }

    public static ModelBundle open(Path directory) throws BundleException, CheckpointException {
        return open(directory, true);
    }

    /** Opens a bundle; with {@code verify} every listed file's sha256 is checked first. */
    public static ModelBundle open(Path directory, boolean verify) throws BundleException, CheckpointException {
        BundleManifest manifest = ManifestJson.read(directory.resolve(BundleManifest.FILE));
        int channels = manifest.config().channels();
        if (manifest.preprocessing().mean().length != channels || manifest.preprocessing().std().length != channels) {
            throw new BundleException(directory.resolve(BundleManifest.FILE) + ": preprocessing mean and std need "
                    + channels + " values (one per channel)");
        }
        for (String required : List.of(BundleManifest.WEIGHTS, manifest.labelsFile())) {
            if (!manifest.sha256().containsKey(required)) {
                throw new BundleException(directory.resolve(BundleManifest.FILE) + ": no sha256 for " + required
                        + "; every file of a bundle must be listed");
            }
        }
        if (verify) {
            for (Map.Entry<String, String> entry : manifest.sha256().entrySet()) {
                Path file = resolveInside(directory, entry.getKey());
                String actual;
                try {
                    actual = Sha256.of(file);
                } catch (NoSuchFileException e) {
                    throw new BundleException(file + ": listed in the manifest but missing from the bundle");
                } catch (IOException e) {
                    throw new BundleException(file + ": cannot read (" + e.getMessage() + ")");
                }
                if (!actual.equals(entry.getValue())) {
                    throw new BundleException(file + ": sha256 " + actual + " differs from the manifest's "
                            + entry.getValue() + " (the file was altered or damaged)");
                }
            }
        }
        CrateWeights weights = CrateWeights.from(manifest.config(),
                Checkpoints.read(directory.resolve(BundleManifest.WEIGHTS)));
        List<String> labels = readLabels(resolveInside(directory, manifest.labelsFile()),
                manifest.config().numClasses());
        return new ModelBundle(directory, manifest, weights, labels);
    }

    /**
     * Writes a bundle into {@code directory}, which must not exist or be empty.
     *
     * @return the manifest written
     */
    public static BundleManifest write(Path directory, String name, String version, String parentVersion,
            CrateWeights weights, List<String> labels, Preprocessing preprocessing) throws IOException,
            BundleException {
        if (labels.size() != weights.config().numClasses()) {
            throw new BundleException("labels: " + labels.size() + " labels for a model with "
                    + weights.config().numClasses() + " classes");
        }
        requireEmptyTarget(directory);
        Path parent = directory.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temp = Files.createTempDirectory(parent, "." + directory.getFileName() + ".");
        try {
            SafetensorsWriter.write(temp.resolve(BundleManifest.WEIGHTS), weights.tensors().values(),
                    Map.of("format", "pt", "model", name, "version", version));
            Files.write(temp.resolve(BundleManifest.LABELS), labels, StandardCharsets.UTF_8);
            Map<String, String> sha = new LinkedHashMap<>();
            sha.put(BundleManifest.WEIGHTS, Sha256.of(temp.resolve(BundleManifest.WEIGHTS)));
            sha.put(BundleManifest.LABELS, Sha256.of(temp.resolve(BundleManifest.LABELS)));
            BundleManifest manifest = new BundleManifest(name, version, parentVersion, weights.config(),
                    BundleManifest.LABELS, preprocessing, sha, Instant.now(), null, Map.of());
            Files.writeString(temp.resolve(BundleManifest.FILE), ManifestJson.write(manifest));
            Files.move(temp, directory, StandardCopyOption.ATOMIC_MOVE);
            return manifest;
        } catch (IOException | RuntimeException e) {
            deleteTree(temp);
            throw e;
        }
    }

    /**
     * Records {@code reference} in the bundle's manifest (rewritten atomically). A signature made before no longer
     * matches, so {@code manifest.sig} is removed: sign the bundle again.
     *
     * @return whether a signature was removed
     */
    public static boolean writeReference(Path directory, WhiteBoxReference reference) throws IOException,
            BundleException {
        return rewriteManifest(directory, manifest -> {
            if (reference.layers().size() != manifest.config().depth()) {
                throw new IllegalArgumentException("a white-box reference of " + reference.layers().size()
                        + " layers for a model of " + manifest.config().depth());
            }
            return manifest.withReference(reference);
        });
    }

    /**
     * Rewrites the bundle's manifest atomically as {@code change} makes it (a reference, a training record; never the
     * files' sha256). A signature made before no longer matches, so {@code manifest.sig} is removed.
     *
     * @return whether a signature was removed
     * @throws BundleException when the manifest cannot be read or {@code change} refuses it
     */
    public static boolean rewriteManifest(Path directory, UnaryOperator<BundleManifest> change) throws IOException,
            BundleException {
        Path file = directory.resolve(BundleManifest.FILE);
        BundleManifest before = ManifestJson.read(file);
        BundleManifest manifest;
        try {
            manifest = change.apply(before);
        } catch (IllegalArgumentException e) {
            throw new BundleException(file + ": " + e.getMessage());
        }
        if (!manifest.sha256().equals(before.sha256())) {
            throw new BundleException(file + ": a manifest rewrite may not change the files' sha256");
        }
        Path temp = Files.createTempFile(directory, ".manifest", ".tmp");
        try {
            Files.writeString(temp, ManifestJson.write(manifest));
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        return Files.deleteIfExists(directory.resolve("manifest.sig"));
    }

    /**
     * Writes into {@code target} (which must not exist or be empty) a copy of the bundle at {@code source} with
     * {@code extraFiles} added (name → content) and listed in its manifest, atomically as {@link #write}. The source's
     * files are checked first; a signature of the source does not carry over: sign the copy.
     *
     * @return the copy's manifest
     */
    public static BundleManifest copyWith(Path source, Path target, Map<String, byte[]> extraFiles)
            throws IOException, BundleException, CheckpointException {
        BundleManifest manifest = open(source).manifest();
        for (String name : extraFiles.keySet()) {
            if (name.equals(BundleManifest.FILE) || name.contains("/") || name.contains("\\") || name.startsWith(".")
                    || manifest.sha256().containsKey(name)) {
                throw new BundleException(target + ": cannot add '" + name + "' (a reserved, nested or existing name)");
            }
        }
        requireEmptyTarget(target);
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temp = Files.createTempDirectory(parent, "." + target.getFileName() + ".");
        try {
            Map<String, String> sha = new LinkedHashMap<>(manifest.sha256());
            for (String name : manifest.sha256().keySet()) {
                Path copy = resolveInside(temp, name);
                Files.createDirectories(copy.getParent());
                Files.copy(resolveInside(source, name), copy);
            }
            for (Map.Entry<String, byte[]> extra : extraFiles.entrySet()) {
                Files.write(temp.resolve(extra.getKey()), extra.getValue());
                sha.put(extra.getKey(), Sha256.of(temp.resolve(extra.getKey())));
            }
            BundleManifest copied = new BundleManifest(manifest.name(), manifest.version(), manifest.parentVersion(),
                    manifest.config(), manifest.labelsFile(), manifest.preprocessing(), sha, manifest.created(),
                    manifest.whiteboxReference(), manifest.training());
            Files.writeString(temp.resolve(BundleManifest.FILE), ManifestJson.write(copied));
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            return copied;
        } catch (IOException | RuntimeException e) {
            deleteTree(temp);
            throw e;
        }
    }

    private static void requireEmptyTarget(Path directory) throws IOException, BundleException {
        if (Files.exists(directory)) {
            try (Stream<Path> children = Files.list(directory)) {
                if (children.findAny().isPresent()) {
                    throw new BundleException(directory + ": already exists and is not empty; choose another"
                            + " output directory or remove it");
                }
            }
            Files.delete(directory);
        }
    }

    /** {@code class_0 … class_{n-1}}, for checkpoints that come without label names. */
    public static List<String> defaultLabels(int numClasses) {
        List<String> labels = new ArrayList<>(numClasses);
        for (int i = 0; i < numClasses; i++) {
            labels.add("class_" + i);
        }
        return labels;
    }

    /** Reads a labels file, one label per line, and checks there is one per class. */
    public static List<String> readLabels(Path file, int numClasses) throws BundleException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BundleException(file + ": no such labels file");
        } catch (IOException e) {
            throw new BundleException(file + ": cannot read labels (" + e.getMessage() + ")");
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
            lines.remove(lines.size() - 1);
        }
        if (lines.size() != numClasses) {
            throw new BundleException(file + ": " + lines.size() + " labels but the model has " + numClasses
                    + " classes (one label per line expected)");
        }
        return lines;
    }

    public Path directory() {
        return directory;
    }

    public BundleManifest manifest() {
        return manifest;
    }

    public CrateWeights weights() {
        return weights;
    }

    public List<String> labels() {
        return labels;
    }

    private static Path resolveInside(Path directory, String name) throws BundleException {
        Path resolved = directory.resolve(name).normalize();
        if (!resolved.startsWith(directory.normalize())) {
            throw new BundleException(directory.resolve(BundleManifest.FILE) + ": file name '" + name
                    + "' points outside the bundle");
        }
        return resolved;
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            root.toFile().deleteOnExit();
        }
    }
}
