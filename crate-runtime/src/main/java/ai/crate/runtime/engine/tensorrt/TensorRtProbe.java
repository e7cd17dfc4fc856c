package ai.crate.runtime.engine.tensorrt;

import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds out, once per process and without ever throwing, whether TensorRT can run here: the CUDA runtime loads, a GPU
 * is visible, and TensorRT 10's {@code libnvinfer} and ONNX parser load. The result names the GPU or says exactly
 * what is missing and how to get it.
 */
public final class TensorRtProbe {
    private static final Logger LOG = LoggerFactory.getLogger(TensorRtProbe.class);

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
            return absent("the CUDA 12 runtime (libcudart.so.12) cannot be loaded; install CUDA 12 from NVIDIA's"
                    + " packages, or JetPack 6 on a Jetson", e);
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
                return absent("TensorRT 10 (libnvinfer.so.10, libnvonnxparser.so.10) cannot be loaded; install"
                        + " TensorRT 10 from NVIDIA's packages (x86) or JetPack 6 (Jetson)", e);
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
        String detail = cause == null ? "" : ": " + firstLine(cause);
        LOG.debug("tensorrt unavailable: {}{}", reason, detail, cause);
        return new Result(null, reason + detail);
    }

    private static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String line = message.lines().findFirst().orElse(message);
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
