/**
 * Ed25519 signatures over model bundles, with the JDK's own EdDSA: key pairs ({@link SigningKeys}), the trusted
 * public keys a deployment accepts ({@link TrustedKeys}), and the {@code manifest.sig} file that signs a bundle's
 * manifest, which in turn pins every other file by its sha256 ({@link BundleSignature}).
 */
package ai.crate.runtime.signing;
