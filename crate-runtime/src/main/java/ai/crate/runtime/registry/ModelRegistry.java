package ai.crate.runtime.registry;

import ai.crate.runtime.CrateException;
import ai.crate.runtime.bundle.BundleManifest;
import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.bundle.Sha256;
import ai.crate.runtime.signing.BundleSignature;
import ai.crate.runtime.signing.TrustedKeys;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A model registry in a directory (local disk or any shared file system):
 * <pre>
 * blobs/sha256/&lt;hex&gt;             every file of every version, stored once by content
 * models/&lt;name&gt;/&lt;version&gt;.json   one {@link VersionRecord} per version
 * </pre>
 * Publishing verifies the bundle (its signature when trusted keys are given, its files' sha256 always) and copies its
 * files in; promotion moves a version to production and the previous production version to retired, with the reason
 * in both histories. Writers take a lock file, so several processes may share a registry; every file is written to
 * a temporary name, forced to disk and renamed, so a crash never leaves a half-written blob or record.
 */
public final class ModelRegistry {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Map<Path, ReentrantLock> WRITERS = new ConcurrentHashMap<>();

    private final Path root;
    private final Clock clock;

    private ModelRegistry(Path root, Clock clock) {
        this.root = root;
        this.clock = clock;
    }

    /** Opens the registry in {@code root}, creating its directories on first use. */
    public static ModelRegistry open(Path root) throws IOException {
        return open(root, Clock.systemUTC());
    }

    static ModelRegistry open(Path root, Clock clock) throws IOException {
        Files.createDirectories(root.resolve("blobs").resolve("sha256"));
        Files.createDirectories(root.resolve("models"));
        return new ModelRegistry(root, clock);
    }

    public Path root() {
        return root;
    }

    /**
     * Adds a bundle as a candidate version.
     *
     * @param trusted when present, the bundle must carry a signature by one of these keys
     * @return the new record, or the existing one when the same content was published before
     * @throws RegistryException when the bundle fails verification, or the version exists with other content
     */
    public VersionRecord publish(Path bundle, Optional<TrustedKeys> trusted) throws IOException, CrateException {
        String signedBy = null;
        if (trusted.isPresent()) {
            signedBy = BundleSignature.verify(bundle, trusted.get());
        } else {
            ModelBundle.open(bundle, true);
        }
        BundleManifest manifest = ModelBundle.open(bundle, false).manifest();
        checkName("model name", manifest.name());
        checkName("version", manifest.version());
        Map<String, String> files = new LinkedHashMap<>();
        files.put(BundleManifest.FILE, Sha256.of(bundle.resolve(BundleManifest.FILE)));
        Path signature = bundle.resolve(BundleSignature.FILE);
        if (Files.isRegularFile(signature)) {
            files.put(BundleSignature.FILE, Sha256.of(signature));
        }
        files.putAll(manifest.sha256());
        try (FileLock ignored = lock()) {
            Optional<VersionRecord> existing = find(manifest.name(), manifest.version());
            if (existing.isPresent()) {
                if (existing.get().manifestSha256().equals(files.get(BundleManifest.FILE))) {
                    return existing.get();
                }
                throw new RegistryException(manifest.name() + " version " + manifest.version() + " is already in the"
                        + " registry with other content (manifest sha256 " + existing.get().manifestSha256()
                        + "); versions are immutable, publish under a new version");
            }
            long size = 0;
            for (Map.Entry<String, String> file : files.entrySet()) {
                Path source = bundle.resolve(file.getKey());
                size += Files.size(source);
                storeBlob(source, file.getValue());
            }
            VersionRecord record = new VersionRecord(manifest.name(), manifest.version(), manifest.parentVersion(),
                    files, size, signedBy, VersionState.CANDIDATE, List.of(new VersionRecord.Transition(
                    VersionState.CANDIDATE, clock.instant(), "published" + (signedBy != null ? ", signed by "
                    + signedBy : ", unsigned"))));
            writeRecord(record);
            return record;
        }
    }

    /**
     * Moves a version to production; the version in production before it is retired. The new record is written
     * first, so a promote cut short (a crash, an interrupt) leaves the new version in production rather than none;
     * a version left in production by such a promote is retired by the next one.
     */
    public VersionRecord promote(String name, String version, String reason) throws IOException, RegistryException {
        try (FileLock ignored = lock()) {
            VersionRecord record = get(name, version);
            if (record.state() == VersionState.PRODUCTION) {
                return record;
            }
            VersionRecord promoted = record.moved(VersionState.PRODUCTION, clock.instant(), reason);
            writeRecord(promoted);
            for (VersionRecord other : versions(name)) {
                if (other.state() == VersionState.PRODUCTION && !other.version().equals(version)) {
                    writeRecord(other.moved(VersionState.RETIRED, clock.instant(), "superseded by version "
                            + version + ": " + reason));
                }
            }
            return promoted;
        }
    }

    /** Withdraws a version (a refused candidate, or a production version taken out of service). */
    public VersionRecord retire(String name, String version, String reason) throws IOException, RegistryException {
        try (FileLock ignored = lock()) {
            VersionRecord record = get(name, version);
            if (record.state() == VersionState.RETIRED) {
                return record;
            }
            VersionRecord retired = record.moved(VersionState.RETIRED, clock.instant(), reason);
            writeRecord(retired);
            return retired;
        }
    }

    public List<String> models() throws IOException {
        try (Stream<Path> list = Files.list(root.resolve("models"))) {
            return list.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The versions of {@code name}, oldest first. */
    public List<VersionRecord> versions(String name) throws IOException, RegistryException {
        checkName("model name", name);
        Path dir = root.resolve("models").resolve(name);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<VersionRecord> out = new ArrayList<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path file : list.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
                out.add(readRecord(file));
            }
        }
        out.sort(Comparator.comparing(r -> r.history().get(0).time()));
        return out;
    }

    public VersionRecord get(String name, String version) throws IOException, RegistryException {
        return find(name, version).orElseThrow(() -> RegistryException.notFound("no version " + version
                + " of model " + name + " in " + root));
    }

    /** The version in production: the one promoted last, should a promote cut short have left two. */
    public Optional<VersionRecord> production(String name) throws IOException, RegistryException {
        return versions(name).stream().filter(r -> r.state() == VersionState.PRODUCTION)
                .max(Comparator.comparing(r -> r.history().get(r.history().size() - 1).time()));
    }

    /** The stored file with this sha256, or empty. */
    public Optional<Path> blob(String sha256) {
        if (!SHA256.matcher(sha256).matches()) {
            return Optional.empty();
        }
        Path file = root.resolve("blobs").resolve("sha256").resolve(sha256);
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /** Writes version {@code version} of {@code name} as a bundle directory {@code target} (which must not exist). */
    public Path fetch(String name, String version, Path target) throws IOException, CrateException {
        VersionRecord record = get(name, version);
        if (Files.exists(target)) {
            throw new RegistryException(target + " exists; fetch writes a new bundle directory");
        }
        Path partial = Files.createTempDirectory(target.toAbsolutePath().getParent(), ".fetch-");
        try {
            for (Map.Entry<String, String> file : record.files().entrySet()) {
                Path blob = blob(file.getValue()).orElseThrow(() -> new RegistryException("the registry lacks blob "
                        + file.getValue() + " (" + file.getKey() + " of " + name + " version " + version + ")"));
                Path out = partial.resolve(file.getKey());
                Files.createDirectories(out.getParent());
                Files.copy(blob, out);
            }
            ModelBundle.open(partial, true);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } finally {
            if (Files.exists(partial)) {
                try (Stream<Path> walk = Files.walk(partial)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    private Optional<VersionRecord> find(String name, String version) throws IOException, RegistryException {
        checkName("model name", name);
        checkName("version", version);
        Path file = recordFile(name, version);
        try {
            return Optional.of(readRecord(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private VersionRecord readRecord(Path file) throws IOException, RegistryException {
        try {
            return VersionRecord.fromJson(JSON.readTree(Files.readAllBytes(file)));
        } catch (RegistryException e) {
            throw new RegistryException(file + ": " + e.getMessage());
        }
    }

    private void writeRecord(VersionRecord record) throws IOException {
        Path file = recordFile(record.name(), record.version());
        Files.createDirectories(file.getParent());
        writeAtomically(file, JSON.writeValueAsBytes(record.toJson()));
    }

    private Path recordFile(String name, String version) {
        return root.resolve("models").resolve(name).resolve(version + ".json");
    }

    private void storeBlob(Path source, String sha256) throws IOException, RegistryException {
        Path target = root.resolve("blobs").resolve("sha256").resolve(sha256);
        if (Files.isRegularFile(target)) {
            return;
        }
        Path temp = Files.createTempFile(target.getParent(), ".blob-", ".tmp");
        try {
            Files.copy(source, temp, StandardCopyOption.REPLACE_EXISTING);
            if (!Sha256.of(temp).equals(sha256)) {
                throw new RegistryException(source + " changed while it was being published");
            }
            force(temp);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path temp = Files.createTempFile(file.getParent(), ".record-", ".tmp");
        try {
            Files.write(temp, bytes);
            force(temp);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void force(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    /** Excludes other writers: threads of this JVM through {@link #WRITERS}, other processes through the file. */
    private FileLock lock() throws IOException {
        ReentrantLock writers = WRITERS.computeIfAbsent(root.toAbsolutePath().normalize(), p -> new ReentrantLock());
        writers.lock();
        FileChannel channel = null;
        try {
            channel = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new ClosingLock(channel, channel.lock(), writers);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                channel.close();
            }
            writers.unlock();
            throw e;
        }
    }

    static void checkName(String what, String value) throws RegistryException {
        if (value == null || !NAME.matcher(value).matches()) {
            throw new RegistryException(what + " '" + value + "' must be 1-128 letters, digits, '.', '_' or '-',"
                    + " starting with a letter or digit");
        }
    }

    /** A file lock that also closes its channel and lets the next thread of this JVM in when released. */
    private static final class ClosingLock extends FileLock {
        private final FileLock lock;
        private final ReentrantLock writers;

        ClosingLock(FileChannel channel, FileLock lock, ReentrantLock writers) {
            super(channel, lock.position(), lock.size(), lock.isShared());
            this.lock = lock;
            this.writers = writers;
        }

        @Override
        public boolean isValid() {
            return lock.isValid();
        }

        @Override
        public void release() throws IOException {
            try {
                lock.release();
                channel().close();
            } finally {
                writers.unlock();
            }
        }
    }
}
