package ai.crate.ingest.predictions;

import java.util.ArrayList;
import java.util.List;

/** The {@code k} most probable classes of one row of logits, by softmax probability (computed in double). */
public final class TopK {
    private TopK() {
    }

    /** One class and its probability. */
    public record Entry(int index, double probability) {
    }

    public static List<Entry> of(float[] logits, int offset, int classes, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            max = Math.max(max, logits[offset + c]);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            sum += Math.exp(logits[offset + c] - max);
        }
        int n = Math.min(k, classes);
        List<Entry> top = new ArrayList<>(n);
        boolean[] taken = new boolean[classes];
        for (int i = 0; i < n; i++) {
            int best = -1;
            for (int c = 0; c < classes; c++) {
                if (!taken[c] && (best < 0 || logits[offset + c] > logits[offset + best])) {
                    best = c;
                }
            }
            taken[best] = true;
            top.add(new Entry(best, Math.exp(logits[offset + best] - max) / sum));
        }
        return top;
    }
}
