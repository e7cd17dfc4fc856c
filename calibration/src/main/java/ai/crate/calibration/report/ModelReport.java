package ai.crate.calibration.report;

import ai.crate.calibration.CalibrationImages;
import ai.crate.calibration.LayerComparison;
import ai.crate.calibration.VerificationResult;
import ai.crate.ingest.predictions.TopK;
import ai.crate.runtime.bundle.Preprocessing;
import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.quant.QuantPoint;
import ai.crate.runtime.quant.QuantizationTable;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The white-box report of a model on some input, as one self-contained HTML page: per-layer coding rate (compression)
 * and sparsity, every head's attention over the first frames, top-k predictions, and with a calibration table the
 * FP32-vs-INT8 comparison. Usage: {@code ModelReport.write(model, images, table, settings, output, progress)}.
 */
public final class ModelReport {
    private ModelReport() {
    }

    /** The model being reported on: its name and version, weights, labels and preprocessing. */
    public record Model(String name, String version, CrateWeights weights, List<String> labels,
            Preprocessing preprocessing) {
    }

    /** What to show: frames with attention maps, the layer drawn (-1 for the last), k, threads, batch. */
    public record Settings(int frames, int layer, int topK, int threads, int batch) {
        public Settings {
            if (frames < 1 || topK < 1 || threads < 1 || batch < 1) {
                throw new IllegalArgumentException("frames, top-k, threads and batch must be >= 1");
            }
        }
    }

    /**
     * Measures and writes the report to {@code output} (atomically); {@code table} may be null.
     *
     * @throws IllegalArgumentException when the layer does not exist
     */
    public static void write(Model model, CalibrationImages images, QuantizationTable table, Settings settings,
            Path output, Runnable onBatch) throws IOException {
        CrateConfig config = model.weights().config();
        int layer = settings.layer() < 0 ? config.depth() - 1 : settings.layer();
        if (layer >= config.depth()) {
            throw new IllegalArgumentException("--layer " + layer + " but the model has layers 0.." + (config.depth() - 1));
        }
        System.setProperty("java.awt.headless", "true");
        ReportMeasurements measured = ReportMeasurements.measure(model.weights(), images, table,
                new ReportMeasurements.Settings(settings.frames(), layer, settings.topK(), settings.threads(),
                        settings.batch()), onBatch);
        String html = page(model, images, table, layer, measured);
        Path directory = output.toAbsolutePath().getParent();
        Files.createDirectories(directory);
        Path temp = Files.createTempFile(directory, ".report", ".tmp");
        try {
            Files.writeString(temp, html, StandardCharsets.UTF_8);
            Files.move(temp, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static String page(Model model, CalibrationImages images, QuantizationTable table, int layer,
            ReportMeasurements measured) {
        CrateConfig config = model.weights().config();
        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>CRATE report: ")
                .append(escape(model.name())).append("</title>\n<style>")
                .append("body{font-family:sans-serif;margin:2em;color:#222}h1{font-size:1.5em}")
                .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
                .append(".frames{display:flex;flex-wrap:wrap;gap:1.5em}.frame figure{margin:0}")
                .append(".heads{display:flex;flex-wrap:wrap;gap:4px}.heads img{width:160px}")
                .append("figcaption{font-size:.85em;color:#555}</style></head><body>\n");
        html.append("<h1>CRATE white-box report: ").append(escape(model.name())).append(" version ")
                .append(escape(model.version())).append("</h1>\n<p>").append(escape(config.toString()))
                .append("<br>").append(images.count()).append(" images from ").append(escape(images.source()))
                .append("; generated ").append(Instant.now()).append(".</p>\n");

        html.append("<h2>What each layer does</h2>\n<p>CRATE's attention compresses the tokens (their coding rate"
                + " falls) and its ISTA step sparsifies them (more zeros); both are measured on every image and"
                + " averaged.</p>\n");
        Map<String, double[]> rate = new LinkedHashMap<>();
        rate.put("FP32", measured.codingRate());
        Map<String, double[]> sparsity = new LinkedHashMap<>();
        sparsity.put("FP32", measured.sparsity());
        VerificationResult int8 = measured.int8();
        if (int8 != null) {
            rate.put("INT8", int8.layers().stream().mapToDouble(LayerComparison::codingRateInt8).toArray());
            sparsity.put("INT8", int8.layers().stream().mapToDouble(LayerComparison::sparsityInt8).toArray());
        }
        image(html, Charts.perLayer("Coding rate of the heads' projection", "coding rate", rate),
                "Per-layer coding rate");
        image(html, Charts.perLayer("Sparsity of the layer output", "fraction of zeros", sparsity),
                "Per-layer sparsity");

        if (int8 != null) {
            int8Section(html, int8, table, config);
        }

        html.append("<h2>Attention of each head, layer ").append(layer).append("</h2>\n<p>Red marks the patches"
                + " each head's class token attends to; CRATE's heads tend to pick out objects.</p>\n"
                + "<div class=\"frames\">\n");
        for (ReportMeasurements.Frame frame : measured.frames()) {
            int offset = frame.index() * images.imageFloats();
            BufferedImage picture = AttentionOverlay.frame(images.images(), offset, config, model.preprocessing());
            html.append("<div class=\"frame\"><h3>Frame ").append(frame.index()).append("</h3>\n");
            image(html, Png.encode(picture), "input frame " + frame.index());
            html.append("<table><tr><th>label</th><th>probability</th></tr>");
            for (TopK.Entry entry : frame.topK()) {
                html.append("<tr><td style=\"text-align:left\">").append(escape(label(model, entry.index())))
                        .append("</td><td>").append(String.format(Locale.ROOT, "%.4f", entry.probability()))
                        .append("</td></tr>");
            }
            html.append("</table>");
            if (frame.int8Top1() >= 0) {
                html.append("<p>INT8 top-1: ").append(escape(label(model, frame.int8Top1())))
                        .append(frame.int8Top1() == frame.topK().get(0).index() ? " (same)" : " (differs)")
                        .append("</p>");
            }
            html.append("<div class=\"heads\">");
            for (int k = 0; k < frame.headAttention().length; k++) {
                html.append("<figure>");
                image(html, Png.encode(AttentionOverlay.overlay(picture, frame.headAttention()[k], config)),
                        "head " + k + " on frame " + frame.index());
                html.append("<figcaption>head ").append(k).append("</figcaption></figure>");
            }
            html.append("</div></div>\n");
        }
        html.append("</div>\n</body></html>\n");
        return html.toString();
    }

    private static void int8Section(StringBuilder html, VerificationResult int8, QuantizationTable table,
            CrateConfig config) {
        html.append("<h2>FP32 against INT8</h2>\n<p>").append(escape(table.method())).append(" calibration on ")
                .append(table.images()).append(" images; layers kept in float: ")
                .append(table.floatLayers().isEmpty() ? "none" : escape(table.floatLayers().stream()
                        .map(l -> QuantPoint.layerName(l, config)).toList().toString()))
                .append(String.format(Locale.ROOT, ". Top-1 agreement with FP32 on these %d images: %.4f (Java INT8"
                        + " simulation), %.4f (ONNX Runtime on the Q/DQ graph); logits SQNR %.1f dB.</p>\n",
                        int8.images(), int8.agreement(), int8.onnxRuntimeAgreement(), int8.logitsSqnrDb()));
        Map<String, Double> sqnr = new LinkedHashMap<>();
        for (LayerComparison layer : int8.layers()) {
            sqnr.put("layer " + layer.layer(), layer.sqnrDb());
        }
        image(html, Charts.bars("SQNR of each layer's output (INT8 vs FP32)", "dB", sqnr), "Per-layer SQNR");
        html.append("<table><tr><th>layer</th><th>SQNR dB</th><th>coding rate FP32</th><th>INT8</th>"
                + "<th>sparsity FP32</th><th>INT8</th></tr>\n");
        for (LayerComparison layer : int8.layers()) {
            html.append(String.format(Locale.ROOT, "<tr><td>%d%s</td><td>%.1f</td><td>%.2f</td><td>%.2f</td>"
                            + "<td>%.3f</td><td>%.3f</td></tr>%n", layer.layer(),
                    table.floatLayers().contains(layer.layer()) ? " (float)" : "", layer.sqnrDb(),
                    layer.codingRateFp32(), layer.codingRateInt8(), layer.sparsityFp32(), layer.sparsityInt8()));
        }
        html.append("</table>\n");
    }

    private static String label(Model model, int index) {
        return index < model.labels().size() ? model.labels().get(index) : "class_" + index;
    }

    private static void image(StringBuilder html, byte[] png, String alt) {
        html.append("<img src=\"").append(Png.dataUri(png)).append("\" alt=\"").append(escape(alt)).append("\">\n");
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
