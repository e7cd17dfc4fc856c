package ai.crate.runtime.signing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The public keys a deployment accepts signatures from, by key id: {@code .pub} files, or every {@code .pub} file in
 * a directory. Usage: {@code TrustedKeys.load(List.of(Path.of("/etc/crate/trusted")))}.
 */
public final class TrustedKeys {
    private final Map<String, PublicKey> byId;

    private TrustedKeys(Map<String, PublicKey> byId) {
        this.byId = byId;
    }

    public static TrustedKeys of(PublicKey... keys) {
        Map<String, PublicKey> byId = new LinkedHashMap<>();
        for (PublicKey key : keys) {
            byId.put(SigningKeys.keyId(key), key);
        }
        return new TrustedKeys(byId);
    }

    /** Loads {@code .pub} files and directories of them; refuses an empty result. */
    public static TrustedKeys load(List<Path> locations) throws IOException, SignatureException {
        List<Path> files = new ArrayList<>();
        for (Path location : locations) {
            if (Files.isDirectory(location)) {
                try (Stream<Path> list = Files.list(location)) {
                    list.filter(p -> p.getFileName().toString().endsWith(".pub")).sorted().forEach(files::add);
                }
            } else if (Files.isRegularFile(location)) {
                files.add(location);
            } else {
                throw new SignatureException(location + ": no such trusted key file or directory");
            }
        }
        if (files.isEmpty()) {
            throw new SignatureException("no trusted public keys (.pub files) in " + locations);
        }
        Map<String, PublicKey> byId = new LinkedHashMap<>();
        for (Path file : files) {
            PublicKey key = SigningKeys.readPublic(file);
            byId.put(SigningKeys.keyId(key), key);
        }
        return new TrustedKeys(byId);
    }

    public Optional<PublicKey> get(String keyId) {
        return Optional.ofNullable(byId.get(keyId));
    }

    public List<String> ids() {
        return List.copyOf(byId.keySet());
    }
}
