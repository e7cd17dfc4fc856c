package ai.crate.runtime.onnx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs the {@code onnx} package's checker ({@code onnx.checker.check_model(path, full_check=True)}) on a file, through
 * Debian's {@code python3-onnx}, which {@code .ci/run} installs (shared with other modules' tests as crate-runtime's
 * test jar). {@link #unavailableReason()} says why tests skip.
 */
public final class OnnxChecker {
    private static final String PYTHON = "/usr/bin/python3";

    private OnnxChecker() {
    }

    /** Null when the checker can run here, else why not. */
    public static String unavailableReason() {
        try {
            Result result = run("import onnx");
            return result.code == 0 ? null : "python3-onnx is not installed (apt-get install python3-onnx): "
                    + result.output.strip();
        } catch (IOException e) {
            return PYTHON + " cannot run: " + e.getMessage();
        }
    }

    /** The checker's verdict: exit code 0 and its output. */
    public static Result check(Path model) throws IOException {
        return run("import onnx, sys; onnx.checker.check_model(sys.argv[1], full_check=True);"
                + " m = onnx.load(sys.argv[1], load_external_data=False);"
                + " print('ok opset', m.opset_import[0].version, 'ir', m.ir_version)", model.toString());
    }

    public record Result(int code, String output) {
    }

    private static Result run(String script, String... args) throws IOException {
        String[] command = new String[3 + args.length];
        command[0] = PYTHON;
        command[1] = "-c";
        command[2] = script;
        System.arraycopy(args, 0, command, 3, args.length);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, "onnx checker timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(),
                StandardCharsets.UTF_8));
    }
}
