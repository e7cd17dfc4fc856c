package ai.crate.ops.cli;

import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.load.LoadedModel;
import ai.crate.runtime.train.TrainingSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code crate eval}: top-1 and top-5 accuracy, per-class accuracy and the confusion matrix of a model on labelled
 * data, with any engine.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Accuracy of a model on labelled data: top-1, top-5, per class, and the confusion matrix.")
final class EvalCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Mixin
    DataOptions data;

    @Mixin
    EngineOptionsMixin engine;

    @Option(names = "--output", paramLabel = "REPORT.json", description = "Also write the figures as JSON.")
    Path output;

    @Override
    public Integer call() throws Exception {
        LoadedModel loaded = model.load();
        DataOptions.Loaded set = data.open(loaded.config(), loaded.preprocessing());
        List<String> names = set.classNames().orElse(loaded.labels());
        TrainingSet images = set.set();
        int classes = loaded.config().numClasses();
        long[][] confusion = new long[classes][classes];
        long top1 = 0;
        long top5 = 0;
        int batch = engine.batchSize;
        float[] buffer = new float[batch * images.imageFloats()];
        try (CrateEngine crate = engine.create(loaded.weights())) {
            for (int start = 0; start < images.size(); start += batch) {
                int count = Math.min(batch, images.size() - start);
                for (int i = 0; i < count; i++) {
                    images.image(start + i, buffer, i * images.imageFloats());
                }
                float[] input = count == batch ? buffer
                        : java.util.Arrays.copyOf(buffer, count * images.imageFloats());
                float[] logits = crate.forward(input, count);
                for (int i = 0; i < count; i++) {
                    int label = images.label(start + i);
                    int rank = rankOf(logits, i * classes, classes, label);
                    top1 += rank == 0 ? 1 : 0;
                    top5 += rank < 5 ? 1 : 0;
                    confusion[label][argmax(logits, i * classes, classes)]++;
                }
            }
        }
        int n = images.size();
        StringBuilder report = new StringBuilder();
        report.append(String.format(Locale.ROOT, "eval images=%d top1=%.4f top5=%.4f%n", n, (double) top1 / n,
                (double) top5 / n));
        report.append("per class (accuracy, images):\n");
        for (int c = 0; c < classes; c++) {
            long total = 0;
            for (long v : confusion[c]) {
                total += v;
            }
            if (total > 0) {
                report.append(String.format(Locale.ROOT, "  %-16s %.4f  %d%n", names.get(c),
                        (double) confusion[c][c] / total, total));
            }
        }
        if (classes <= 20) {
            report.append("confusion (rows: true class, columns: predicted):\n");
            for (int c = 0; c < classes; c++) {
                report.append(String.format(Locale.ROOT, "  %-16s", names.get(c)));
                for (int p = 0; p < classes; p++) {
                    report.append(String.format(Locale.ROOT, " %5d", confusion[c][p]));
                }
                report.append('\n');
            }
        }
        System.out.print(report);
        if (output != null) {
            Files.writeString(output, json(n, top1, top5, names, confusion));
        }
        return 0;
    }

    private static int rankOf(float[] logits, int offset, int classes, int label) {
        int rank = 0;
        for (int c = 0; c < classes; c++) {
            if (logits[offset + c] > logits[offset + label]) {
                rank++;
            }
        }
        return rank;
    }

    private static int argmax(float[] logits, int offset, int classes) {
        int best = 0;
        for (int c = 1; c < classes; c++) {
            if (logits[offset + c] > logits[offset + best]) {
                best = c;
            }
        }
        return best;
    }

    private static String json(int n, long top1, long top5, List<String> names, long[][] confusion) {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var root = mapper.createObjectNode();
        root.put("images", n);
        root.put("top1", (double) top1 / n);
        root.put("top5", (double) top5 / n);
        var labels = root.putArray("labels");
        names.forEach(labels::add);
        var matrix = root.putArray("confusion");
        for (long[] row : confusion) {
            var r = matrix.addArray();
            for (long v : row) {
                r.add(v);
            }
        }
        try {
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
