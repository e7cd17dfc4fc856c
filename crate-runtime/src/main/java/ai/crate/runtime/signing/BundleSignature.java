package ai.crate.runtime.signing;

import ai.crate.runtime.CrateException;
import ai.crate.runtime.bundle.BundleManifest;
import ai.crate.runtime.bundle.ModelBundle;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;

/**
 * The {@code manifest.sig} of a bundle: an Ed25519 signature over the exact bytes of {@code manifest.json}, with the
 * signer's key id. Since the manifest lists the sha256 of every other file, verifying the signature and then the
 * hashes ({@link #verify}) proves the whole bundle came unaltered from a trusted key.
 *
 * <pre>{"format": 1, "algorithm": "Ed25519", "key_id": "3f9c0a…", "signature": "base64…"}</pre>
 */
public final class BundleSignature {
    public static final String FILE = "manifest.sig";
    private static final ObjectMapper JSON = new ObjectMapper();

    private BundleSignature() {
    }

    /** Signs {@code bundle}'s manifest with {@code key}, writing {@code manifest.sig} atomically. */
    public static void sign(Path bundle, PrivateKey key, PublicKey publicKey) throws IOException, SignatureException {
        byte[] manifest = readManifest(bundle);
        byte[] signature;
        try {
            Signature signer = Signature.getInstance(SigningKeys.ALGORITHM);
            signer.initSign(key);
            signer.update(manifest);
            signature = signer.sign();
            Signature check = Signature.getInstance(SigningKeys.ALGORITHM);
            check.initVerify(publicKey);
            check.update(manifest);
            if (!check.verify(signature)) {
                throw new SignatureException("the public key given does not belong to the private key used to sign");
            }
        } catch (GeneralSecurityException e) {
            throw new SignatureException("cannot sign " + bundle + ": " + e.getMessage());
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("format", 1);
        root.put("algorithm", SigningKeys.ALGORITHM);
        root.put("key_id", SigningKeys.keyId(publicKey));
        root.put("signature", Base64.getEncoder().encodeToString(signature));
        Path temp = Files.createTempFile(bundle, ".manifest.sig", ".tmp");
        try {
            Files.writeString(temp, root.toPrettyString() + "\n");
            Files.move(temp, bundle.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Checks the signature against the trusted keys, then every file's sha256 against the manifest.
     *
     * @return the id of the key that signed it
     * @throws SignatureException naming the bundle and what is wrong: unsigned, malformed signature, untrusted key,
     *                            a manifest that does not match its signature, or an altered file
     */
    public static String verify(Path bundle, TrustedKeys trusted) throws IOException, SignatureException {
        byte[] manifest = readManifest(bundle);
        Path file = bundle.resolve(FILE);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new SignatureException(bundle + ": not signed (no " + FILE + ")");
        } catch (IOException e) {
            throw new SignatureException(file + ": not JSON (" + e.getMessage() + ")");
        }
        String algorithm = root.path("algorithm").asText("");
        String keyId = root.path("key_id").asText("");
        String encoded = root.path("signature").asText("");
        if (!algorithm.equals(SigningKeys.ALGORITHM) || keyId.isEmpty() || encoded.isEmpty()) {
            throw new SignatureException(file + ": needs algorithm \"Ed25519\", key_id and signature");
        }
        PublicKey key = trusted.get(keyId).orElseThrow(() -> new SignatureException(bundle + ": signed by key "
                + keyId + ", which is not trusted here (trusted: " + trusted.ids() + ")"));
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new SignatureException(file + ": the signature is not base64 (" + e.getMessage() + ")");
        }
        boolean valid;
        try {
            Signature check = Signature.getInstance(SigningKeys.ALGORITHM);
            check.initVerify(key);
            check.update(manifest);
            valid = check.verify(signature);
        } catch (java.security.SignatureException e) {
            valid = false;
        } catch (GeneralSecurityException e) {
            throw new SignatureException(file + ": cannot check the signature (" + e.getMessage() + ")");
        }
        if (!valid) {
            throw new SignatureException(bundle + ": the signature does not match " + BundleManifest.FILE
                    + " (the manifest or the signature was altered)");
        }
        try {
            ModelBundle.open(bundle, true);
        } catch (CrateException e) {
            throw new SignatureException(bundle + ": signed manifest, but " + e.getMessage());
        }
        return keyId;
    }

    private static byte[] readManifest(Path bundle) throws IOException, SignatureException {
        try {
            return Files.readAllBytes(bundle.resolve(BundleManifest.FILE));
        } catch (NoSuchFileException e) {
            throw new SignatureException(bundle + ": not a bundle (no " + BundleManifest.FILE + ")");
        }
    }
}
