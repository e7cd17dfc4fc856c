package ai.crate.runtime.engine.tensorrt;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Identifies a TensorRT plan: the sha256 of the ONNX model it was built from, TensorRT version, GPU name and compute
 * capability, precision and profiles. {@link #canonical()} is stored in the plan file and compared on load;
 * {@link #fileName()} is a short hash of it.
 */
public record PlanKey(String modelSha256, String tensorRtVersion, String gpuName, String computeCapability,
        Precision precision, String profiles) {

    public static PlanKey of(String modelSha256, GpuInfo gpu, Precision precision, BatchProfiles profiles) {
        return new PlanKey(modelSha256, gpu.tensorRtVersion(), gpu.name(), gpu.computeCapability(), precision,
                profiles.key());
    }

    public String canonical() {
        return "model=" + modelSha256 + ";tensorrt=" + tensorRtVersion + ";gpu=" + gpuName.replace(';', ',')
                + ";cc=" + computeCapability + ";precision=" + precision.key() + ";profiles=" + profiles;
    }

    public String fileName() {
        return sha256(canonical()).substring(0, 32) + ".plan";
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    private static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }
}
