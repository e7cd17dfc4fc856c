package ai.crate.edge.update;

import ai.crate.runtime.bundle.Sha256;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Downloads one model version from a registry served by {@code bin/crate registry serve} into a bundle directory:
 * the version record names each file by sha256; each file is fetched from {@code /v1/blobs/SHA256}, resumed with a
 * {@code Range} request where an earlier attempt stopped, checked against its sha256, and only then renamed into
 * place. The whole version must fit in {@code maxBytes}. The finished directory appears atomically; its signature is
 * checked by the caller. Usage: {@code new BundleDownload(http, maxBytes).fetch(registry, name, version, target)}.
 */
public final class BundleDownload {
    private static final Logger LOG = LoggerFactory.getLogger(BundleDownload.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private final HttpClient http;
    private final long maxBytes;

    public BundleDownload(HttpClient http, long maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("the download size limit must be positive, got " + maxBytes);
        }
        this.http = http;
        this.maxBytes = maxBytes;
    }

    /**
     * Fetches {@code name} version {@code version} from {@code registry} (e.g. {@code http://registry:8710}) into
     * {@code target}, which must not exist. Partial files are kept in {@code target + ".partial"} so a later call
     * resumes them.
     *
     * @throws UpdateException naming what is wrong: the registry's answer, a file over the limit, a sha256 mismatch
     */
    public Path fetch(URI registry, String name, String version, Path target) throws UpdateException,
            InterruptedException {
        for (String part : new String[] {name, version}) {
            if (!SAFE_NAME.matcher(part).matches()) {
                throw new UpdateException("model name or version '" + part + "' has characters a registry refuses");
            }
        }
        if (Files.exists(target)) {
            throw new UpdateException(target + " exists; a download writes a new bundle directory");
        }
        URI base = URI.create(registry.toString().replaceAll("/+$", "") + "/");
        JsonNode record = json(base.resolve("v1/models/" + name + "/" + version));
        Map<String, String> files = new LinkedHashMap<>();
        JsonNode listed = record.path("files");
        if (!listed.isObject() || listed.isEmpty()) {
            throw new UpdateException(name + " version " + version + ": the registry's record lists no files");
        }
        for (Map.Entry<String, JsonNode> file : listed.properties()) {
            String sha = file.getValue().asText();
            if (!SAFE_NAME.matcher(file.getKey()).matches() || !SHA256.matcher(sha).matches()) {
                throw new UpdateException(name + " version " + version + ": the record lists a file '"
                        + file.getKey() + "' with sha256 '" + sha + "', which is not a valid entry");
            }
            files.put(file.getKey(), sha);
        }
        long declared = record.path("size_bytes").asLong(-1);
        if (declared > maxBytes) {
            throw new UpdateException(name + " version " + version + " is " + declared + " bytes, over the download"
                    + " limit of " + maxBytes);
        }
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        try {
            Files.createDirectories(partial);
            long total = 0;
            for (Map.Entry<String, String> file : files.entrySet()) {
                total += download(base.resolve("v1/blobs/" + file.getValue()), partial, file.getKey(),
                        file.getValue(), maxBytes - total);
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            forceDirectory(target.toAbsolutePath().getParent());
            LOG.info("downloaded {} version {} ({} bytes, {} files) into {}", name, version, total, files.size(),
                    target);
            return target;
        } catch (IOException e) {
            throw new UpdateException("downloading " + name + " version " + version + " from " + registry + ": " + e);
        }
    }

    /** Downloads one file, resuming its {@code .part}; returns its size. */
    private long download(URI blob, Path directory, String file, String sha256, long budget)
            throws IOException, UpdateException, InterruptedException {
        Path done = directory.resolve(file);
        if (Files.isRegularFile(done) && Sha256.of(done).equals(sha256)) {
            return Files.size(done);
        }
        Path part = directory.resolve(file + ".part");
        long have = Files.isRegularFile(part) ? Files.size(part) : 0;
        HttpRequest.Builder request = HttpRequest.newBuilder(blob).timeout(Duration.ofMinutes(5)).GET();
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        int status = response.statusCode();
        if (status == 416 && have > 0) {
            response.body().close();
            Files.delete(part);
            return download(blob, directory, file, sha256, budget);
        }
        if (status != 200 && status != 206) {
            String body = new String(response.body().readAllBytes());
            throw new UpdateException(file + ": the registry answered " + status + " for " + blob + ": " + body);
        }
        boolean resumed = status == 206;
        if (!resumed) {
            have = 0;
        } else {
            LOG.info("resuming {} at byte {}", file, have);
        }
        try (InputStream in = response.body();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[64 * 1024];
            long size = have;
            int n;
            while ((n = in.read(buffer)) > 0) {
                size += n;
                if (size > budget) {
                    throw new UpdateException(file + ": the download passed the size limit of " + maxBytes
                            + " bytes for the whole version");
                }
                out.write(buffer, 0, n);
            }
        }
        try (FileChannel channel = FileChannel.open(part, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        String actual = Sha256.of(part);
        if (!actual.equals(sha256)) {
            Files.delete(part);
            throw new UpdateException(file + ": downloaded bytes have sha256 " + actual + ", the registry's record"
                    + " says " + sha256 + " (altered in the registry or in transit); discarded");
        }
        Files.move(part, done, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(directory);
        return Files.size(done);
    }

    /** Makes renames in {@code directory} durable, where the file system allows it. */
    private static void forceDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            LOG.debug("the file system cannot force directory {} ({})", directory, e.getMessage());
        }
    }

    private JsonNode json(URI uri) throws UpdateException, InterruptedException {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new UpdateException("the registry answered " + response.statusCode() + " for " + uri + ": "
                        + response.body().strip());
            }
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UpdateException("cannot reach the registry at " + uri + ": " + e);
        }
    }
}
