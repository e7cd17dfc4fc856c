package ai.crate.runtime.signing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Ed25519 key pairs in PEM files: {@code NAME.key} (PKCS#8, readable by its owner only) and {@code NAME.pub} (X.509
 * SubjectPublicKeyInfo), the same encodings as {@code openssl genpkey -algorithm ed25519}. A key's id is the first
 * 16 hex digits of the sha256 of its public key's encoding.
 */
public final class SigningKeys {
    private static final Logger LOG = LoggerFactory.getLogger(SigningKeys.class);
    static final String ALGORITHM = "Ed25519";
    private static final String PRIVATE = "PRIVATE KEY";
    private static final String PUBLIC = "PUBLIC KEY";

    private SigningKeys() {
    }

    /**
     * Generates a key pair into {@code directory} as {@code name.key} and {@code name.pub}; never overwrites.
     *
     * @return the public key file
     */
    public static Path generate(Path directory, String name) throws IOException, SignatureException {
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new SignatureException("key name '" + name + "': use letters, digits, '.', '_' and '-' only");
        }
        KeyPair pair;
        try {
            pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + ALGORITHM, e);
        }
        Files.createDirectories(directory);
        Path key = directory.resolve(name + ".key");
        Path pub = directory.resolve(name + ".pub");
        for (Path file : new Path[] {key, pub}) {
            if (Files.exists(file)) {
                throw new FileAlreadyExistsException(file + " exists; keys are never overwritten");
            }
        }
        Files.writeString(key, pem(PRIVATE, pair.getPrivate().getEncoded()));
        try {
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            LOG.warn("{}: not a POSIX file system, so the private key's permissions could not be limited to its"
                    + " owner; protect the directory instead", key);
        }
        Files.writeString(pub, pem(PUBLIC, pair.getPublic().getEncoded()));
        return pub;
    }

    public static PrivateKey readPrivate(Path file) throws IOException, SignatureException {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(unpem(file, PRIVATE)));
        } catch (GeneralSecurityException e) {
            throw new SignatureException(file + ": not an Ed25519 private key (" + e.getMessage() + ")");
        }
    }

    public static PublicKey readPublic(Path file) throws IOException, SignatureException {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(unpem(file, PUBLIC)));
        } catch (GeneralSecurityException e) {
            throw new SignatureException(file + ": not an Ed25519 public key (" + e.getMessage() + ")");
        }
    }

    /** The public key of a private key file's pair, as written beside it ({@code NAME.pub} for {@code NAME.key}). */
    public static PublicKey publicBeside(Path privateKey) throws IOException, SignatureException {
        String file = privateKey.getFileName().toString();
        Path pub = privateKey.resolveSibling((file.endsWith(".key") ? file.substring(0, file.length() - 4) : file)
                + ".pub");
        if (!Files.isRegularFile(pub)) {
            throw new SignatureException(privateKey + ": its public key " + pub + " is missing");
        }
        return readPublic(pub);
    }

    /** First 16 hex digits of the sha256 of the key's X.509 encoding. */
    public static String keyId(PublicKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static byte[] unpem(Path file, String type) throws IOException, SignatureException {
        String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        if (!text.startsWith(begin) || !text.endsWith(end)) {
            throw new SignatureException(file + ": expected a PEM '" + type + "' block");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(begin.length(), text.length() - end.length()));
        } catch (IllegalArgumentException e) {
            throw new SignatureException(file + ": the PEM body is not base64 (" + e.getMessage() + ")");
        }
    }
}
