package ai.crate.runtime.train;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.model.WeightKeys;

/**
 * The spec's forward pass and cross-entropy in double precision, written independently of {@link ImagePass} and as
 * plainly as possible: the oracle for finite differences.
 */
final class DoubleCrate {
    private DoubleCrate() {
    }

    static double meanLoss(TrainableCrate model, double[][] values, float[] images, int[] labels, int batch,
                           double smoothing) {
        double total = 0;
        for (int b = 0; b < batch; b++) {
            double[] logits = logits(model, values, images, b);
            total += loss(logits, labels[b], smoothing);
        }
        return total / batch;
    }

    private static double loss(double[] logits, int label, double smoothing) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : logits) {
            sum += Math.exp(v - max);
        }
        double logSum = max + Math.log(sum);
        double loss = 0;
        for (int c = 0; c < logits.length; c++) {
            double target = (c == label ? 1 - smoothing : 0) + smoothing / logits.length;
            loss -= target * (logits[c] - logSum);
        }
        return loss;
    }

    private static double[] get(TrainableCrate model, double[][] values, String name) {
        return values[model.indexOf(name)];
    }

    static double[] logits(TrainableCrate model, double[][] v, float[] images, int image) {
        CrateConfig c = model.config();
        int d = c.dim();
        int n = c.numPatches();
        int q = c.patchDim();
        int t = c.tokens();
        double[][] patches = new double[n][q];
        int gridW = c.imageWidth() / c.patchWidth();
        int base = image * c.channels() * c.imageHeight() * c.imageWidth();
        for (int gy = 0; gy < c.imageHeight() / c.patchHeight(); gy++) {
            for (int gx = 0; gx < gridW; gx++) {
                for (int py = 0; py < c.patchHeight(); py++) {
                    for (int px = 0; px < c.patchWidth(); px++) {
                        for (int ch = 0; ch < c.channels(); ch++) {
                            patches[gy * gridW + gx][(py * c.patchWidth() + px) * c.channels() + ch] =
                                    images[base + (ch * c.imageHeight() + gy * c.patchHeight() + py) * c.imageWidth()
                                            + gx * c.patchWidth() + px];
                        }
                    }
                }
            }
        }
        double[][] z = new double[t][];
        double[] cls = get(model, v, WeightKeys.CLS_TOKEN);
        double[] pos = get(model, v, WeightKeys.POS_EMBEDDING);
        z[0] = new double[d];
        for (int j = 0; j < d; j++) {
            z[0][j] = cls[j] + pos[j];
        }
        for (int i = 0; i < n; i++) {
            double[] a = layerNorm(patches[i], get(model, v, WeightKeys.PATCH_NORM + "weight"),
                    get(model, v, WeightKeys.PATCH_NORM + "bias"));
            double[] e = linear(a, get(model, v, WeightKeys.PATCH_LINEAR + "weight"),
                    get(model, v, WeightKeys.PATCH_LINEAR + "bias"), d);
            double[] h = layerNorm(e, get(model, v, WeightKeys.EMBED_NORM + "weight"),
                    get(model, v, WeightKeys.EMBED_NORM + "bias"));
            z[i + 1] = new double[d];
            for (int j = 0; j < d; j++) {
                z[i + 1][j] = h[j] + pos[(i + 1) * d + j];
            }
        }
        int heads = c.heads();
        int p = c.dimHead();
        int inner = c.innerDim();
        for (int l = 0; l < c.depth(); l++) {
            double[][] w = new double[t][];
            for (int i = 0; i < t; i++) {
                double[] x = layerNorm(z[i], get(model, v, WeightKeys.norm1(l) + "weight"),
                        get(model, v, WeightKeys.norm1(l) + "bias"));
                w[i] = linear(x, get(model, v, WeightKeys.qkv(l)), null, inner);
            }
            double[][] concat = new double[t][inner];
            for (int k = 0; k < heads; k++) {
                for (int i = 0; i < t; i++) {
                    double[] s = new double[t];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < t; j++) {
                        double dot = 0;
                        for (int e = 0; e < p; e++) {
                            dot += w[i][k * p + e] * w[j][k * p + e];
                        }
                        s[j] = dot / Math.sqrt(p);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < t; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j < t; j++) {
                        for (int e = 0; e < p; e++) {
                            concat[i][k * p + e] += s[j] / sum * w[j][k * p + e];
                        }
                    }
                }
            }
            double[] dict = get(model, v, WeightKeys.ista(l));
            for (int i = 0; i < t; i++) {
                double[] out = c.projectOut() ? linear(concat[i], get(model, v, WeightKeys.toOut(l) + "weight"),
                        get(model, v, WeightKeys.toOut(l) + "bias"), d) : concat[i];
                double[] half = new double[d];
                for (int j = 0; j < d; j++) {
                    half[j] = z[i][j] + out[j];
                }
                double[] y = layerNorm(half, get(model, v, WeightKeys.norm2(l) + "weight"),
                        get(model, v, WeightKeys.norm2(l) + "bias"));
                double[] yd = new double[d];
                double[] ydt = new double[d];
                for (int j = 0; j < d; j++) {
                    for (int e = 0; e < d; e++) {
                        yd[j] += y[e] * dict[e * d + j];
                        ydt[j] += y[e] * dict[j * d + e];
                    }
                }
                double[] next = new double[d];
                for (int j = 0; j < d; j++) {
                    double ydtd = 0;
                    for (int e = 0; e < d; e++) {
                        ydtd += ydt[e] * dict[e * d + j];
                    }
                    double g = y[j] + c.ista() * (yd[j] - ydtd) - c.ista() * c.lambd();
                    next[j] = Math.max(0, g);
                }
                z[i] = next;
            }
        }
        double[] pooled = new double[d];
        if (c.pool() == Pool.CLS) {
            pooled = z[0].clone();
        } else {
            for (double[] row : z) {
                for (int j = 0; j < d; j++) {
                    pooled[j] += row[j] / t;
                }
            }
        }
        double[] h = layerNorm(pooled, get(model, v, WeightKeys.HEAD_NORM + "weight"),
                get(model, v, WeightKeys.HEAD_NORM + "bias"));
        return linear(h, get(model, v, WeightKeys.HEAD_LINEAR + "weight"),
                get(model, v, WeightKeys.HEAD_LINEAR + "bias"), c.numClasses());
    }

    private static double[] layerNorm(double[] x, double[] gamma, double[] beta) {
        double mean = 0;
        for (double value : x) {
            mean += value;
        }
        mean /= x.length;
        double variance = 0;
        for (double value : x) {
            variance += (value - mean) * (value - mean);
        }
        variance /= x.length;
        double[] out = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            out[j] = (x[j] - mean) / Math.sqrt(variance + 1e-5) * gamma[j] + beta[j];
        }
        return out;
    }

    private static double[] linear(double[] x, double[] weight, double[] bias, int out) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double sum = bias == null ? 0 : bias[o];
            for (int j = 0; j < x.length; j++) {
                sum += weight[o * x.length + j] * x[j];
            }
            y[o] = sum;
        }
        return y;
    }
}
