package ai.crate.runtime.engine.tensorrt;

import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds out, once per process and without ever throwing, whether TensorRT can run here: the CUDA runtime loads, a GPU
 * is visible, and TensorRT 10's {@code libnvinfer} and ONNX parser load. The result names the GPU or says exactly
 * what is missing and how to get it.
 */
public final class TensorRtProbe {
    private static final Logger LOG = LoggerFactory.getLogger(TensorRtProbe.class);
    private static final Pattern MISSING_LIBRARY = Pattern.compile("([\\w.+-]+\\.so[\\w.]*): cannot open shared object");

    /** Either a GPU (available) or the reason TensorRT cannot run. */
    public record Result(GpuInfo gpu, String reason) {
        public boolean available() {
            return gpu != null;
        }
    }

    private TensorRtProbe() {
    }

    private static final class Holder {
        private static final Result RESULT = run();
    }

    public static Result probe() {
        return Holder.RESULT;
    }

    private static Result run() {
        try {
            Loader.load(cudart.class);
        } catch (Throwable e) {
            return absent("CUDA cannot be loaded", e);
        }
        try {
            int[] count = new int[1];
            int status = cudart.cudaGetDeviceCount(count);
            if (status != 0) {
                return absent("no usable CUDA GPU: cudaGetDeviceCount failed with "
                        + cudart.cudaGetErrorString(status).getString() + " (is the NVIDIA driver installed?)", null);
            }
            if (count[0] == 0) {
                return absent("no CUDA GPU is visible to this process", null);
            }
            cudaDeviceProp properties = new cudaDeviceProp();
            status = cudart.cudaGetDeviceProperties(properties, 0);
            if (status != 0) {
                return absent("cudaGetDeviceProperties failed with " + cudart.cudaGetErrorString(status).getString(),
                        null);
            }
            try {
                Loader.load(nvinfer.class);
                Loader.load(nvonnxparser.class);
            } catch (Throwable e) {
                return absent("TensorRT 10 cannot be loaded", e);
            }
            int version = nvinfer.getInferLibVersion();
            String text = (version / 10000) + "." + (version / 100 % 100) + "." + (version % 100);
            if (version / 10000 < 10) {
                return absent("TensorRT " + text + " is installed but 10.x is needed", null);
            }
            GpuInfo gpu = new GpuInfo(properties.name().getString().trim(), properties.major(), properties.minor(),
                    properties.totalGlobalMem(), text);
            LOG.info("tensorrt: {} (compute {}, {} MiB), TensorRT {}", gpu.name(), gpu.computeCapability(),
                    gpu.memoryBytes() >> 20, text);
            return new Result(gpu, null);
        } catch (Throwable e) {
            return absent("probing CUDA failed", e);
        }
    }

    private static Result absent(String reason, Throwable cause) {
        String detail = cause == null ? "" : ": " + explain(cause);
        LOG.debug("tensorrt unavailable: {}{}", reason, detail, cause);
        return new Result(null, reason + detail);
    }

    /** The missing shared library behind a load failure, with what provides it, or the deepest message. */
    static String explain(Throwable error) {
        Throwable deepest = error;
        for (Throwable t = error; t != null; t = t.getCause()) {
            deepest = t;
            Matcher missing = MISSING_LIBRARY.matcher(String.valueOf(t.getMessage()));
            if (missing.find()) {
                String library = missing.group(1);
                if (library.startsWith("libcuda.so")) {
                    return library + " is missing: no NVIDIA driver here (install the driver, or JetPack 6 on a"
                            + " Jetson)";
                }
                if (library.startsWith("libcudart") || library.startsWith("libcublas")
                        || library.startsWith("libnvrtc")) {
                    return library + " is missing: install the CUDA 12 runtime (NVIDIA's packages, or JetPack 6)";
                }
                if (library.startsWith("libnvinfer") || library.startsWith("libnvonnxparser")) {
                    return library + " is missing: install TensorRT 10 (NVIDIA's packages on x86, JetPack 6 on"
                            + " Jetson)";
                }
                return library + " is missing";
            }
        }
        return firstLine(deepest);
    }

    private static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String line = message.lines().findFirst().orElse(message);
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
