package ai.crate.runtime.cpu;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Chooses which of OpenBLAS's kernel sets this process gets, before OpenBLAS loads (it reads
 * {@code OPENBLAS_CORETYPE} once, when its library is opened). A machine-wide {@code OPENBLAS_CORETYPE} that names an
 * AVX2 or older set on a CPU with AVX-512 would halve every product of the fast engine and the trainer, so it is
 * dropped with a warning and OpenBLAS detects the CPU itself; {@code CRATE_OPENBLAS_CORETYPE} (or the system property
 * {@code crate.openblas.coretype}) names the set to use instead, {@code auto} for OpenBLAS's own detection. Call
 * {@link #select()} before anything loads OpenBLAS, OpenCV included (it loads OpenBLAS too); later calls do nothing.
 */
public final class OpenBlasKernels {
    public static final String OPENBLAS_VARIABLE = "OPENBLAS_CORETYPE";
    public static final String CRATE_VARIABLE = "CRATE_OPENBLAS_CORETYPE";
    public static final String PROPERTY = "crate.openblas.coretype";
    private static final Logger LOG = LoggerFactory.getLogger(OpenBlasKernels.class);
    /** OpenBLAS's x86 kernel sets without AVX-512, lower case. */
    private static final Set<String> BELOW_AVX512 = Set.of("katmai", "coppermine", "northwood", "prescott", "banias",
            "atom", "core2", "penryn", "dunnington", "nehalem", "sandybridge", "haswell", "opteron", "opteron_sse3",
            "barcelona", "bobcat", "bulldozer", "piledriver", "steamroller", "excavator", "zen", "nano");
    private static final List<String> AVX512_FLAGS = List.of("avx512f", "avx512bw", "avx512dq", "avx512vl");
    private static boolean selected;

    private OpenBlasKernels() {
    }

    /** Applies the choice described above to this process's environment, once. */
    public static synchronized void select() {
        if (selected) {
            return;
        }
        selected = true;
        String inherited = System.getenv(OPENBLAS_VARIABLE);
        String requested = System.getProperty(PROPERTY, System.getenv(CRATE_VARIABLE));
        try {
            if (requested != null && !requested.isBlank()) {
                String value = requested.trim();
                setCoreType(value.equalsIgnoreCase("auto") ? null : value);
                LOG.info("OpenBLAS kernel set requested: {} ({})",
                        value.equalsIgnoreCase("auto") ? "detected from the CPU" : value,
                        System.getProperty(PROPERTY) != null ? "-D" + PROPERTY : CRATE_VARIABLE);
            } else if (inherited != null && BELOW_AVX512.contains(inherited.trim().toLowerCase(Locale.ROOT))
                    && cpuHasAvx512()) {
                setCoreType(null);
                LOG.warn("{}={} in the environment would hold OpenBLAS to kernels without AVX-512 on this AVX-512 CPU,"
                        + " at about half its product speed; OpenBLAS detects the CPU instead. Set {}={} to keep it.",
                        OPENBLAS_VARIABLE, inherited, CRATE_VARIABLE, inherited);
            }
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            LOG.warn("could not set {} for OpenBLAS ({}); it keeps {}", OPENBLAS_VARIABLE, e.getMessage(),
                    inherited != null ? OPENBLAS_VARIABLE + "=" + inherited : "its own detection");
        }
    }

    /** Whether /proc/cpuinfo lists AVX-512 F, BW, DQ and VL: what OpenBLAS's AVX-512 sets need. */
    static boolean cpuHasAvx512() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return false;
        }
        try {
            for (String line : Files.readAllLines(cpuinfo, StandardCharsets.US_ASCII)) {
                if (line.startsWith("flags")) {
                    List<String> flags = List.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                    return flags.containsAll(AVX512_FLAGS);
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /**
     * Replaces the C environment's {@code OPENBLAS_CORETYPE} (removes it when {@code value} is null) by installing a
     * new {@code environ} array; the old one and its strings stay valid for any reader that holds them. The JVM's own
     * {@link System#getenv()} snapshot does not change.
     */
    private static void setCoreType(String value) {
        Pointer variable = Loader.addressof("environ");
        if (variable == null || variable.isNull()) {
            throw new IllegalStateException("the C library's environ is not visible to this process");
        }
        PointerPointer<Pointer> slot = new PointerPointer<>(variable);
        PointerPointer<Pointer> current = new PointerPointer<>(slot.get(0));
        List<Pointer> kept = new ArrayList<>();
        String prefix = OPENBLAS_VARIABLE + "=";
        for (int i = 0; !current.isNull() && current.get(i) != null; i++) {
            Pointer entry = current.get(i);
            if (!new BytePointer(entry).getString(StandardCharsets.ISO_8859_1).startsWith(prefix)) {
                kept.add(entry);
            }
        }
        if (value != null) {
            kept.add(permanentString(prefix + value));
        }
        PointerPointer<Pointer> updated = new PointerPointer<>(Pointer.malloc((kept.size() + 1L) * Pointer.sizeof(
                PointerPointer.class)));
        if (updated.isNull()) {
            throw new IllegalStateException("no native memory for the environment");
        }
        for (int i = 0; i < kept.size(); i++) {
            updated.put(i, kept.get(i));
        }
        updated.put(kept.size(), (Pointer) null);
        slot.put(0, updated);
    }

    /** A NUL-terminated copy of {@code text} in memory that is never freed, as the environment requires. */
    private static Pointer permanentString(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        BytePointer copy = new BytePointer(Pointer.malloc(bytes.length + 1L));
        if (copy.isNull()) {
            throw new IllegalStateException("no native memory for the environment");
        }
        copy.put(bytes, 0, bytes.length).put(bytes.length, (byte) 0);
        return copy;
    }
}
