package ai.crate.runtime.cpu;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;
import org.bytedeco.openblas.global.openblas_full;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link OpenBlasKernels} in fresh JVMs, each with its own environment, since OpenBLAS reads its kernel set once per
 * process: what {@code CRATE_OPENBLAS_CORETYPE} names wins over an inherited {@code OPENBLAS_CORETYPE}, and an
 * inherited AVX2 set is dropped on an AVX-512 CPU and kept elsewhere.
 */
class OpenBlasKernelsTest {
    @BeforeAll
    static void onX86() {
        Assumptions.assumeTrue(System.getProperty("os.arch").equals("amd64") && Path.of("/proc/cpuinfo").toFile()
                .canRead(), "OpenBLAS's kernel sets are chosen on x86-64 Linux only");
    }

    @Test
    void theProjectsVariableWinsOverAnInheritedCoreType() throws Exception {
        assertThat(coreNameIn(Map.of("OPENBLAS_CORETYPE", "Haswell", "CRATE_OPENBLAS_CORETYPE", "Sandybridge")))
                .isEqualTo("Sandybridge");
    }

    @Test
    void anInheritedAvx2CoreTypeIsDroppedOnlyWhereTheCpuHasAvx512() throws Exception {
        String core = coreNameIn(Map.of("OPENBLAS_CORETYPE", "Haswell"));
        if (OpenBlasKernels.cpuHasAvx512()) {
            assertThat(core).isNotEqualTo("Haswell");
        } else {
            assertThat(core).isEqualTo("Haswell");
        }
    }

    @Test
    void anInheritedAvx512CoreTypeIsKept() throws Exception {
        Assumptions.assumeTrue(OpenBlasKernels.cpuHasAvx512(), "needs a CPU with AVX-512");
        assertThat(coreNameIn(Map.of("OPENBLAS_CORETYPE", "SkylakeX"))).isEqualTo("SkylakeX");
    }

    /** Runs {@link CoreName} in a JVM whose environment has {@code variables} and no other OpenBLAS choice. */
    private static String coreNameIn(Map<String, String> variables) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(List.of(java.toString(), "-cp",
                System.getProperty("java.class.path"), CoreName.class.getName()));
        builder.environment().remove("OPENBLAS_CORETYPE");
        builder.environment().remove("CRATE_OPENBLAS_CORETYPE");
        builder.environment().putAll(variables);
        builder.redirectErrorStream(true);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(output).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        List<String> lines = output.lines().filter(line -> line.startsWith("core=")).toList();
        assertThat(lines).as(output).hasSize(1);
        return lines.get(0).substring("core=".length());
    }

    /** Selects the kernels as the engine does, loads OpenBLAS and prints the kernel set it took. */
    public static final class CoreName {
        public static void main(String[] args) {
            OpenBlasKernels.select();
            Loader.load(openblas.class);
            System.out.println("core=" + openblas_full.openblas_get_corename().getString());
        }
    }
}
