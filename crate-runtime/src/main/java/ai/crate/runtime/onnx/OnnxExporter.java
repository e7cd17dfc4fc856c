package ai.crate.runtime.onnx;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.config.Pool;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.model.Folds;
import ai.crate.runtime.model.WeightKeys;
import ai.crate.runtime.quant.Int8;
import ai.crate.runtime.quant.QuantPoint;
import ai.crate.runtime.quant.QuantizationTable;
import ai.crate.runtime.tensor.Tensor;
import ai.onnx.proto.OnnxMl;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Builds the ONNX model of a CRATE model: input {@code images} float32 {@code [batch, C, H, W]}, output {@code logits}
 * {@code [batch, num_classes]}, opset 17, shapes static except the batch, only operators TensorRT 10 parses. With a
 * {@link QuantizationTable} the fused graph becomes an explicitly quantized one: every product's activation input
 * passes through {@code QuantizeLinear → DequantizeLinear} (symmetric INT8, per tensor) and its weight is stored as
 * INT8 with one scale per output column, except in the layers the table keeps in float. Usage: {@code ModelProto model = OnnxExporter.export(weights, OnnxExportOptions.of(GraphForm.FUSED))}, then
 * {@link OnnxFiles#write} to disk.
 */
public final class OnnxExporter {
    public static final int OPSET = 17;
    public static final long IR_VERSION = 8;
    public static final String INPUT = "images";
    public static final String LOGITS = "logits";
    private static final String BATCH = "batch";

    private final CrateConfig config;
    private final CrateWeights weights;
    private final OnnxExportOptions options;
    private final OnnxGraph graph;
    private final Map<String, String> unitConstants = new HashMap<>();
    private final QuantizationTable quantization;

    private OnnxExporter(CrateWeights weights, OnnxExportOptions options) {
        this.config = weights.config();
        this.weights = weights;
        this.options = options;
        this.graph = new OnnxGraph("crate_" + options.form().key() + (options.quantization() != null ? "_int8" : ""),
                options.fp16Weights());
        this.quantization = options.quantization();
    }

    /** The name of the {@code z_next} output of a layer requested through {@code codesLayers}. */
    public static String codesOutput(int layer) {
        return "codes_" + layer;
    }

    /** The names of the per-layer outputs added by {@code allLayerOutputs}. */
    public static String layerOutput(String tensor, int layer) {
        return tensor + "_" + layer;
    }

    public static OnnxMl.ModelProto export(CrateWeights weights, OnnxExportOptions options) {
        for (int layer : options.codesLayers()) {
            if (layer < 0 || layer >= weights.config().depth()) {
                throw new IllegalArgumentException("codes layer " + layer + " does not exist: the model has layers 0.."
                        + (weights.config().depth() - 1));
            }
        }
        if (options.quantization() != null) {
            options.quantization().requireFor(weights.config(), "quantization table");
        }
        return new OnnxExporter(weights, options).build();
    }

    private OnnxMl.ModelProto build() {
        int d = config.dim();
        int t = config.tokens();
        graph.input(INPUT, OnnxMl.TensorProto.DataType.FLOAT, BATCH, config.channels(), config.imageHeight(),
                config.imageWidth());
        String z = embed();
        for (int l = 0; l < config.depth(); l++) {
            z = layer(l, z);
        }
        String pooled;
        if (config.pool() == Pool.CLS) {
            pooled = graph.node("Gather", List.of(z, graph.int64Scalar("cls_index", 0)), "pooled",
                    OnnxGraph.attr("axis", 1L));
        } else {
            pooled = graph.node("ReduceMean", List.of(z), "pooled", OnnxGraph.attrInts("axes", 1),
                    OnnxGraph.attr("keepdims", 0L));
        }
        linearAfterNorm("head", pooled, WeightKeys.HEAD_NORM, WeightKeys.HEAD_LINEAR, LOGITS, config.depth(),
                QuantPoint.Kind.HEAD_INPUT);
        graph.output(LOGITS, BATCH, config.numClasses());
        for (int layer : options.codesLayers()) {
            if (!options.allLayerOutputs()) {
                graph.node("Identity", List.of(layerOutput("z_next", layer)), codesOutput(layer));
                graph.output(codesOutput(layer), BATCH, t, d);
            }
        }
        graph.builder().addAllInitializer(graph.initializers());
        return OnnxMl.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("crate-pipeline")
                .setProducerVersion("0.1.0")
                .setDomain("ai.crate")
                .setDocString("CRATE " + options.form().key() + " graph" + (quantization != null ? ", INT8 ("
                        + quantization.method() + " calibration, float layers " + quantization.floatLayers() + ")"
                        : "") + ": " + config)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph.builder())
                .build();
    }

    /** Patches, their LayerNorm and Linear and LayerNorm, the cls token and the position embedding: {@code [N, T, d]}. */
    private String embed() {
        int c = config.channels();
        int gridH = config.imageHeight() / config.patchHeight();
        int gridW = config.imageWidth() / config.patchWidth();
        int d = config.dim();
        String grid = graph.node("Reshape", List.of(INPUT, graph.int64Constant("patch_grid_shape", 0, c, gridH,
                config.patchHeight(), gridW, config.patchWidth())), "patch_grid");
        String ordered = graph.node("Transpose", List.of(grid), "patch_ordered",
                OnnxGraph.attrInts("perm", 0, 2, 4, 3, 5, 1));
        String patches = graph.node("Reshape", List.of(ordered, graph.int64Constant("patches_shape", 0,
                config.numPatches(), config.patchDim())), "patches");
        String embedded = linearAfterNorm("patch_embed", patches, WeightKeys.PATCH_NORM, WeightKeys.PATCH_LINEAR,
                null, QuantPoint.EMBEDDING, QuantPoint.Kind.PATCHES);
        String tokens = layerNorm("embed_norm", embedded, WeightKeys.EMBED_NORM);

        String shape = graph.node("Shape", List.of(INPUT), "input_shape");
        String batch = graph.node("Slice", List.of(shape, graph.int64Constant("batch_start", 0),
                graph.int64Constant("batch_end", 1)), "batch_size");
        String clsShape = graph.node("Concat", List.of(batch, graph.int64Constant("cls_tail", 1, d)), "cls_shape",
                OnnxGraph.attr("axis", 0L));
        String cls = graph.node("Expand", List.of(weight(WeightKeys.CLS_TOKEN), clsShape), "cls_tokens");
        String joined = graph.node("Concat", List.of(cls, tokens), "tokens", OnnxGraph.attr("axis", 1L));
        return graph.node("Add", List.of(joined, weight(WeightKeys.POS_EMBEDDING)), "z_0");
    }

    private String layer(int l, String z) {
        CrateWeights.Layer layer = weights.layers().get(l);
        String prefix = "layer" + l + "/";
        String w;
        if (options.form() == GraphForm.FUSED) {
            Folds.Affine projection = Folds.foldLayerNorm(layer.norm1Weight().toArray(), layer.norm1Bias().toArray(),
                    Folds.transposed(layer.qkv().toArray(), config.innerDim(), config.dim()), config.dim(),
                    config.innerDim(), null, 0);
            String normed = plainNorm(QuantPoint.qkvInput(l), z, config.dim());
            w = affine(prefix + "qkv", activation(normed, l, QuantPoint.Kind.QKV_INPUT), projection,
                    layerOutput("w", l), l);
        } else {
            String x = layerNorm(prefix + "norm1", z, WeightKeys.norm1(l));
            w = graph.node("MatMul", List.of(x, transposedWeight(WeightKeys.qkv(l))), layerOutput("w", l));
        }
        String attended = options.form() == GraphForm.FUSED ? attentionBatched(prefix, l, w)
                : attentionPerHead(prefix, w);
        String projected = attended;
        if (config.projectOut()) {
            String input = activation(attended, l, QuantPoint.Kind.OUT_INPUT);
            Tensor out = weights.get(WeightKeys.toOut(l) + "weight");
            String product = graph.node("MatMul", List.of(input, productWeight(WeightKeys.toOut(l) + "weight_t",
                    out.transposedMatrix(), out.dim(1), out.dim(0), l)), null);
            projected = graph.node("Add", List.of(product, weight(WeightKeys.toOut(l) + "bias")), prefix + "to_out");
        }
        String zHalf = graph.node("Add", List.of(projected, z), layerOutput("z_half", l));
        String zNext = options.form() == GraphForm.FUSED ? istaFused(prefix, l, zHalf, layer)
                : istaReference(prefix, l, zHalf);
        if (options.allLayerOutputs()) {
            int t = config.tokens();
            graph.output(layerOutput("w", l), BATCH, t, config.innerDim());
            graph.output(layerOutput("z_half", l), BATCH, t, config.dim());
            graph.output(layerOutput("z_next", l), BATCH, t, config.dim());
        }
        return zNext;
    }

    /** Heads one by one, as the spec writes them: slice, scores, softmax, weighted sum, concatenation. */
    private String attentionPerHead(String prefix, String w) {
        int p = config.dimHead();
        String scale = graph.floatConstant(prefix + "scale", new float[] {(float) Math.pow(p, -0.5)});
        List<String> heads = new ArrayList<>();
        for (int k = 0; k < config.heads(); k++) {
            String head = prefix + "head" + k;
            String wk = graph.node("Slice", List.of(w, graph.int64Constant(head + "/start", (long) k * p),
                    graph.int64Constant(head + "/end", (long) (k + 1) * p), graph.int64Constant(head + "/axis", 2)),
                    head + "/w");
            String wkT = graph.node("Transpose", List.of(wk), head + "/w_t", OnnxGraph.attrInts("perm", 0, 2, 1));
            String scores = graph.node("Mul", List.of(graph.node("MatMul", List.of(wk, wkT), head + "/dots"), scale),
                    head + "/scores");
            String attention = graph.node("Softmax", List.of(scores), head + "/attention", OnnxGraph.attr("axis", -1L));
            heads.add(graph.node("MatMul", List.of(attention, wk), head + "/out"));
        }
        return heads.size() == 1 ? heads.get(0)
                : graph.node("Concat", heads, prefix + "heads", OnnxGraph.attr("axis", 2L));
    }

    /** All heads at once: {@code [N, T, K·p] → [N, K, T, p]}, batched products, back to {@code [N, T, K·p]}. */
    private String attentionBatched(String prefix, int l, String w) {
        int t = config.tokens();
        int p = config.dimHead();
        QuantPoint point = new QuantPoint(w, l, QuantPoint.Kind.HEADS);
        boolean quantized = quantization != null && quantization.quantizes(point);
        String input = quantized ? quantize(w, quantization.scale(point)) : w;
        String split = graph.node("Reshape", List.of(input, graph.int64Constant(prefix + "split_shape", 0, t,
                config.heads(), p)), prefix + "split");
        String heads = graph.node("Transpose", List.of(split), prefix + "heads", OnnxGraph.attrInts("perm", 0, 2, 1, 3));
        String headsT = graph.node("Transpose", List.of(split), prefix + "heads_t",
                OnnxGraph.attrInts("perm", 0, 2, 3, 1));
        if (quantized) {
            heads = dequantize(heads, w);
            headsT = dequantize(headsT, w);
        }
        String scale = graph.floatConstant(prefix + "scale", new float[] {(float) Math.pow(p, -0.5)});
        String scores = graph.node("Mul", List.of(graph.node("MatMul", List.of(heads, headsT), prefix + "dots"), scale),
                prefix + "scores");
        String attention = graph.node("Softmax", List.of(scores), QuantPoint.attention(l), OnnxGraph.attr("axis", -1L));
        String out = graph.node("MatMul", List.of(activation(attention, l, QuantPoint.Kind.ATTENTION), heads),
                prefix + "attended");
        String merged = graph.node("Transpose", List.of(out), prefix + "merged", OnnxGraph.attrInts("perm", 0, 2, 1, 3));
        return graph.node("Reshape", List.of(merged, graph.int64Constant(prefix + "merge_shape", 0, t,
                config.innerDim())), prefix + "concat");
    }

    /** {@code ReLU(y + η·(y·D − y·Dᵀ·D) − η·λ)} with {@code y = LN2(z_half)}, three products as the spec. */
    private String istaReference(String prefix, int l, String zHalf) {
        int d = config.dim();
        String y = layerNorm(prefix + "norm2", zHalf, WeightKeys.norm2(l));
        float[] dictionary = weights.get(WeightKeys.ista(l)).toArray();
        String dict = graph.weight(WeightKeys.ista(l), dictionary, d, d);
        String dictT = transposedWeight(WeightKeys.ista(l));
        String x1 = graph.node("MatMul", List.of(y, dictT), prefix + "ista/x1");
        String grad1 = graph.node("MatMul", List.of(x1, dict), prefix + "ista/grad1");
        String grad2 = graph.node("MatMul", List.of(y, dict), prefix + "ista/grad2");
        String diff = graph.node("Sub", List.of(grad2, grad1), prefix + "ista/diff");
        String step = graph.floatConstant(prefix + "ista/step", new float[] {config.ista()});
        String threshold = graph.floatConstant(prefix + "ista/threshold",
                new float[] {(float) ((double) config.ista() * config.lambd())});
        String update = graph.node("Sub", List.of(graph.node("Mul", List.of(diff, step), prefix + "ista/scaled"),
                threshold), prefix + "ista/update");
        return graph.node("Relu", List.of(graph.node("Add", List.of(y, update), prefix + "ista/pre")),
                layerOutput("z_next", l));
    }

    /** The same step as one product: {@code ReLU(n·(diag(γ₂)·M) + β₂·M − η·λ)}, {@code M = I + η·(D − Dᵀ·D)}. */
    private String istaFused(String prefix, int l, String zHalf, CrateWeights.Layer layer) {
        int d = config.dim();
        double[] m = Folds.istaMatrix(layer.ista().toArray(), d, config.ista());
        Folds.Affine folded = Folds.foldLayerNorm(layer.norm2Weight().toArray(), layer.norm2Bias().toArray(), m, d, d,
                null, (double) config.ista() * config.lambd());
        String normed = plainNorm(QuantPoint.istaInput(l), zHalf, d);
        String pre = affine(prefix + "ista", activation(normed, l, QuantPoint.Kind.ISTA_INPUT), folded,
                prefix + "ista/pre", l);
        return graph.node("Relu", List.of(pre), layerOutput("z_next", l));
    }

    /** LayerNorm then Linear; in the fused form the affine is folded into the product. */
    private String linearAfterNorm(String name, String input, String normPrefix, String linearPrefix, String output,
            int layer, QuantPoint.Kind kind) {
        Tensor linear = weights.get(linearPrefix + "weight");
        int out = linear.dim(0);
        int in = linear.dim(1);
        if (options.form() == GraphForm.FUSED) {
            Folds.Affine folded = Folds.foldLayerNorm(weights.get(normPrefix + "weight").toArray(),
                    weights.get(normPrefix + "bias").toArray(), Folds.transposed(linear.toArray(), out, in), in, out,
                    weights.get(linearPrefix + "bias").toArray(), 0);
            String normed = plainNorm(name + "/norm", input, in);
            return affine(name, activation(normed, layer, kind), folded, output, layer);
        }
        String normed = layerNorm(name + "/norm", input, normPrefix);
        String product = graph.node("MatMul", List.of(normed, transposedWeight(linearPrefix + "weight")),
                name + "/matmul");
        return graph.node("Add", List.of(product, weight(linearPrefix + "bias")), output != null ? output : name);
    }

    private String affine(String name, String input, Folds.Affine folded, String output, int layer) {
        String w = productWeight(name + "/folded_weight", folded.weight(), folded.in(), folded.out(), layer);
        String b = graph.floatConstant(name + "/folded_bias", folded.bias(), folded.out());
        String product = graph.node("MatMul", List.of(input, w), name + "/matmul");
        return graph.node("Add", List.of(product, b), output != null ? output : name);
    }

    /** The input of a product: itself, or its INT8 quantization dequantized when the table quantizes it. */
    private String activation(String tensor, int layer, QuantPoint.Kind kind) {
        QuantPoint point = new QuantPoint(tensor, layer, kind);
        if (quantization == null || !quantization.quantizes(point)) {
            return tensor;
        }
        return dequantize(quantize(tensor, quantization.scale(point)), tensor);
    }

    /**
     * {@code QuantizeLinear} of {@code tensor} with its scale (a constant {@code <tensor>/scale}). The heads are
     * quantized once and reshaped and transposed as INT8, a quarter of the bytes, before each product dequantizes them.
     */
    private String quantize(String tensor, float scale) {
        String scaleName = graph.floatConstant(tensor + "/scale", new float[] {scale});
        return graph.node("QuantizeLinear", List.of(tensor, scaleName, int8Zero()), tensor + "/quantized");
    }

    /** {@code DequantizeLinear} of {@code quantized} with the scale of {@code point}, right before its product. */
    private String dequantize(String quantized, String point) {
        return graph.node("DequantizeLinear", List.of(quantized, point + "/scale", int8Zero()),
                quantized.endsWith("/quantized") ? point + "/dequantized" : quantized + "/dequantized");
    }

    private String int8Zero() {
        return unitConstants.computeIfAbsent("int8_zero", key -> graph.int8Constant(key, new byte[1]));
    }

    /** A product's {@code [in, out]} weight: float, or INT8 with one scale per output column and its dequantization. */
    private String productWeight(String name, float[] values, int in, int out, int layer) {
        if (quantization == null || !quantization.quantizesLayer(layer)) {
            return graph.weight(name, values, in, out);
        }
        float[] scales = Int8.columnScales(values, in, out);
        String quantized = graph.int8Constant(name + "_int8", Int8.quantizeColumns(values, in, out, scales), in, out);
        String scale = graph.floatConstant(name + "_scale", scales, out);
        String zero = graph.int8Constant(name + "_zero_point", new byte[out], out);
        return graph.node("DequantizeLinear", List.of(quantized, scale, zero), name, OnnxGraph.attr("axis", 1L));
    }

    private String layerNorm(String name, String input, String prefix) {
        return graph.node("LayerNormalization", List.of(input, weight(prefix + "weight"), weight(prefix + "bias")),
                name, OnnxGraph.attr("axis", -1L), OnnxGraph.attr("epsilon", CrateConfig.LAYER_NORM_EPS));
    }

    /** LayerNorm without its affine (scale 1, bias 0), for the fused form where the affine is folded away. */
    private String plainNorm(String name, String input, int width) {
        String ones = unitConstants.computeIfAbsent("ones_" + width,
                key -> graph.floatConstant(key, filled(width, 1f), width));
        String zeros = unitConstants.computeIfAbsent("zeros_" + width,
                key -> graph.floatConstant(key, new float[width], width));
        return graph.node("LayerNormalization", List.of(input, ones, zeros), name, OnnxGraph.attr("axis", -1L),
                OnnxGraph.attr("epsilon", CrateConfig.LAYER_NORM_EPS));
    }

    private String weight(String key) {
        Tensor tensor = weights.get(key);
        long[] dims = IntStream.of(tensor.shape()).asLongStream().toArray();
        return graph.weight(key, tensor.toArray(), dims);
    }

    private String transposedWeight(String key) {
        Tensor tensor = weights.get(key);
        return graph.weight(key + "_t", tensor.transposedMatrix(), tensor.dim(1), tensor.dim(0));
    }

    private static float[] filled(int n, float value) {
        float[] out = new float[n];
        java.util.Arrays.fill(out, value);
        return out;
    }
}
