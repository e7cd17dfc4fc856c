package ai.crate.flink;

import ai.crate.runtime.signing.BundleSignature;
import ai.crate.runtime.signing.SigningKeys;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;

/** Test bundles: a copy of a bundle under another version, signed with a key made for the test. */
final class SignedBundles {
    private SignedBundles() {
    }

    /** A new key pair {@code name.key}/{@code name.pub} in {@code directory}; returns the private key file. */
    static Path newKey(Path directory, String name) throws Exception {
        Path pub = SigningKeys.generate(directory, name);
        return pub.resolveSibling(name + ".key");
    }

    /** Copies {@code bundle} to {@code target} as {@code version} (its parent the original's version). */
    static Path copyAsVersion(Path bundle, Path target, String version) throws Exception {
        Files.createDirectories(target);
        try (var files = Files.list(bundle)) {
            for (Path file : files.toList()) {
                if (!file.getFileName().toString().equals(BundleSignature.FILE)) {
                    Files.copy(file, target.resolve(file.getFileName()));
                }
            }
        }
        ObjectNode manifest = (ObjectNode) KafkaTestTopics.JSON.readTree(target.resolve("manifest.json").toFile());
        manifest.put("parent_version", manifest.get("version").asText());
        manifest.put("version", version);
        KafkaTestTopics.JSON.writerWithDefaultPrettyPrinter().writeValue(target.resolve("manifest.json").toFile(),
                manifest);
        return target;
    }

    /** As {@link #copyAsVersion}, then signed with {@code privateKey}. */
    static Path copyAsSignedVersion(Path bundle, Path target, String version, Path privateKey) throws Exception {
        copyAsVersion(bundle, target, version);
        BundleSignature.sign(target, SigningKeys.readPrivate(privateKey), SigningKeys.publicBeside(privateKey));
        return target;
    }
}
