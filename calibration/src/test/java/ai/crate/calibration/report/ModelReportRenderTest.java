package ai.crate.calibration.report;

import ai.crate.calibration.Calibration;
import ai.crate.calibration.CalibrationImages;
import ai.crate.calibration.CalibrationMethod;
import ai.crate.calibration.CalibrationSources;
import ai.crate.patchify.PreprocessSpec;
import ai.crate.patchify.ResizeMode;
import ai.crate.runtime.bundle.ModelBundle;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.fast.FastEngine;
import ai.crate.runtime.quant.QuantizationTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The report of the shapes model, FP32 against INT8, opened in headless Chromium (Debian's {@code chromium}, which
 * {@code .ci/run} installs): every chart, frame and attention map is there and decodes.
 */
class ModelReportRenderTest {
    private static final Path MODEL = Path.of("../ops/demo/crate-shapes");
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String IMAGE_CHECK = "<script>window.addEventListener('load', () => {"
            + " const all = Array.from(document.images);"
            + " const decoded = all.filter(i => i.complete && i.naturalWidth > 0).length;"
            + " const out = document.createElement('div'); out.id = 'image-check';"
            + " out.textContent = 'images=' + all.length + ' decoded=' + decoded;"
            + " document.body.appendChild(out); });</script>";

    @Test
    void theReportRendersInHeadlessChromiumWithEveryImagePresent(@TempDir Path dir) throws Exception {
        ModelBundle bundle = ModelBundle.open(MODEL);
        PreprocessSpec spec = new PreprocessSpec(bundle.manifest().preprocessing(), ResizeMode.SHORTER_SIDE);
        CalibrationImages images = CalibrationSources.read("shapes:48:21", spec, 48, n -> { });
        QuantizationTable table;
        try (FastEngine engine = new FastEngine(bundle.weights(), new EngineOptions(2))) {
            table = Calibration.collect(bundle.weights(), images, engine,
                    Calibration.Settings.defaults(CalibrationMethod.PERCENTILE), Calibration.Listener.SILENT);
        }
        Path report = dir.resolve("report.html");
        ModelReport.write(new ModelReport.Model("crate-shapes", "1", bundle.weights(), bundle.labels(),
                bundle.manifest().preprocessing()), images, table, new ModelReport.Settings(3, -1, 3, 2, 8), report,
                () -> { });
        String html = Files.readString(report);
        int heads = bundle.manifest().config().heads();
        int expectedImages = 3 + 3 * (1 + heads);
        assertThat(html).contains("FP32 against INT8", "Attention of each head, layer 3", "Per-layer coding rate",
                "square");
        assertThat(Pattern.compile("<img src=\"data:image/png;base64,").matcher(html).results().count())
                .isEqualTo(expectedImages);
        assertThat(html).doesNotContain("src=\"http", "src=\"file");

        assumeTrue(Files.isExecutable(Path.of(CHROMIUM)), "chromium is not installed (apt-get install chromium)");
        Path checked = dir.resolve("checked.html");
        Files.writeString(checked, html.replace("</body>", IMAGE_CHECK + "</body>"));
        Process chromium = new ProcessBuilder(CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--user-data-dir=" + dir.resolve("profile"), "--virtual-time-budget=10000",
                "--dump-dom", checked.toUri().toString()).redirectError(dir.resolve("chromium.log").toFile()).start();
        byte[] dom = chromium.getInputStream().readAllBytes();
        assertThat(chromium.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String rendered = new String(dom, StandardCharsets.UTF_8);
        Matcher check = Pattern.compile("images=(\\d+) decoded=(\\d+)").matcher(rendered);
        assertThat(check.find()).as("chromium output: %s %s", rendered.length() > 300 ? rendered.substring(0, 300)
                : rendered, Files.readString(dir.resolve("chromium.log"))).isTrue();
        assertThat(Integer.parseInt(check.group(1))).isEqualTo(expectedImages);
        assertThat(Integer.parseInt(check.group(2))).isEqualTo(expectedImages);
    }
}
