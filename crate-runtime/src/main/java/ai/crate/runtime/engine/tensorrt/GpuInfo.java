package ai.crate.runtime.engine.tensorrt;

/**
 * What TensorRT plans depend on: the GPU's name and compute capability, its memory, and the TensorRT version
 * ({@code major.minor.patch}). Plans built for one combination are not valid for another.
 */
public record GpuInfo(String name, int major, int minor, long memoryBytes, String tensorRtVersion) {
    public String computeCapability() {
        return major + "." + minor;
    }
}
