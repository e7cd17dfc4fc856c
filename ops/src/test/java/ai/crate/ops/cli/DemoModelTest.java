package ai.crate.ops.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The shipped demo bundle still classifies held-out generated shapes (a seed it never trained on) at ≥ 95%. */
class DemoModelTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private PrintStream saved;

    @BeforeEach
    void capture() {
        saved = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(saved);
    }

    @Test
    void demoBundleReaches95PercentOnHeldOutShapes() {
        assertThat(CrateCli.run("eval", "--model", "demo/crate-shapes", "--dataset", "shapes:600:7",
                "--engine", "fast")).isZero();
        Matcher top1 = Pattern.compile("top1=([0-9.]+)").matcher(out.toString(StandardCharsets.UTF_8));
        assertThat(top1.find()).isTrue();
        assertThat(Double.parseDouble(top1.group(1))).isGreaterThanOrEqualTo(0.95);
    }
}
