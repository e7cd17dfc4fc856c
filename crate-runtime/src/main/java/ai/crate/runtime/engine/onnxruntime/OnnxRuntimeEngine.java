package ai.crate.runtime.engine.onnxruntime;

import ai.crate.runtime.config.CrateConfig;
import ai.crate.runtime.engine.CrateEngine;
import ai.crate.runtime.engine.EngineOptions;
import ai.crate.runtime.engine.ImageBatches;
import ai.crate.runtime.engine.LayerObserver;
import ai.crate.runtime.engine.LayerTensors;
import ai.crate.runtime.model.CrateWeights;
import ai.crate.runtime.onnx.GraphForm;
import ai.crate.runtime.onnx.OnnxExportOptions;
import ai.crate.runtime.onnx.OnnxExporter;
import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Runs CRATE on ONNX Runtime: the project's own {@code fused} export of the weights (or a given {@code .onnx} file),
 * all graph optimisations, {@code threads} intra-op threads, the CUDA execution provider when this ONNX Runtime build
 * has one. Layer tensors for observers come from a second session exporting every layer, built on first use.
 * ONNX Runtime sessions are thread-safe, so one instance may be shared.
 */
public final class OnnxRuntimeEngine implements CrateEngine {
    public static final String NAME = "onnxruntime";
    private static final Logger LOG = LoggerFactory.getLogger(OnnxRuntimeEngine.class);

    private final CrateConfig config;
    private final CrateWeights weights;
    private final EngineOptions options;
    private final OrtEnvironment environment;
    private final OrtSession session;
    private final boolean cuda;
    private final OnnxExportOptions export;
    private volatile OrtSession tracedSession;
    private volatile boolean closed;

    /** An engine over the fused export of {@code weights}. */
    public OnnxRuntimeEngine(CrateWeights weights, EngineOptions options) {
        this(weights, options, GraphForm.FUSED);
    }

    /** An engine over the given graph form of {@code weights} (the reference form, for fair comparisons). */
    public OnnxRuntimeEngine(CrateWeights weights, EngineOptions options, GraphForm form) {
        this(weights, options, OnnxExportOptions.of(form));
    }

    /** An engine over the export of {@code weights} that {@code export} describes (an INT8 graph, for instance). */
    public OnnxRuntimeEngine(CrateWeights weights, EngineOptions options, OnnxExportOptions export) {
        this.config = weights.config();
        this.weights = weights;
        this.options = options;
        this.environment = OrtEnvironment.getEnvironment();
        this.cuda = cudaAvailable();
        long start = System.nanoTime();
        this.export = export;
        OnnxMl.ModelProto model = OnnxExporter.export(weights, export);
        this.session = open(model.toByteArray());
        LOG.info("onnxruntime: {}{} graph exported and loaded in {} ms ({} threads, {})", export.form().key(),
                export.quantization() != null ? " INT8" : "",
                (System.nanoTime() - start) / 1_000_000, options.threads(), cuda ? "CUDA" : "CPU");
    }

    /** An engine over an exported {@code .onnx} file for a model of this config; layer observers are not offered. */
    public OnnxRuntimeEngine(Path onnxFile, CrateConfig config, EngineOptions options) {
        this.config = config;
        this.weights = null;
        this.export = OnnxExportOptions.of(GraphForm.FUSED);
        this.options = options;
        this.environment = OrtEnvironment.getEnvironment();
        this.cuda = cudaAvailable();
        try (OrtSession.SessionOptions sessionOptions = sessionOptions()) {
            this.session = environment.createSession(onnxFile.toString(), sessionOptions);
        } catch (OrtException e) {
            throw new IllegalStateException(onnxFile + ": ONNX Runtime cannot load it: " + e.getMessage(), e);
        }
    }

    /** Whether this ONNX Runtime build offers the CUDA execution provider (and so a GPU path). */
    public static boolean cudaAvailable() {
        return OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public CrateConfig config() {
        return config;
    }

    @Override
    public float[] forward(float[] images, int batch, LayerObserver observer) {
        ImageBatches.requireShape(config, images, batch);
        if (closed) {
            throw new IllegalStateException("the onnxruntime engine is closed");
        }
        long[] shape = {batch, config.channels(), config.imageHeight(), config.imageWidth()};
        boolean traced = observer.wantsLayers();
        OrtSession run = traced ? traced() : session;
        try (OnnxTensor input = OnnxTensor.createTensor(environment, FloatBuffer.wrap(images), shape);
                OrtSession.Result result = run.run(Map.of(OnnxExporter.INPUT, input))) {
            float[] logits = floats(result, OnnxExporter.LOGITS);
            if (traced) {
                deliverLayers(result, batch, observer);
            }
            return logits;
        } catch (OrtException e) {
            throw new IllegalStateException("onnxruntime forward pass failed: " + e.getMessage(), e);
        }
    }

    private void deliverLayers(OrtSession.Result result, int batch, LayerObserver observer) throws OrtException {
        int t = config.tokens();
        int d = config.dim();
        int inner = config.innerDim();
        for (int l = 0; l < config.depth(); l++) {
            float[] w = floats(result, OnnxExporter.layerOutput("w", l));
            float[] zHalf = floats(result, OnnxExporter.layerOutput("z_half", l));
            float[] zNext = floats(result, OnnxExporter.layerOutput("z_next", l));
            for (int b = 0; b < batch; b++) {
                observer.onLayer(b, l, new LayerTensors(t, d, config.heads(), config.dimHead(),
                        slice(w, b, t * inner), slice(zHalf, b, t * d), slice(zNext, b, t * d)));
            }
        }
    }

    private OrtSession traced() {
        if (weights == null) {
            throw new IllegalStateException("layer tensors need the engine built from weights, not from an"
                    + " .onnx file");
        }
        OrtSession traced = tracedSession;
        if (traced == null) {
            synchronized (this) {
                traced = tracedSession;
                if (traced == null) {
                    OnnxMl.ModelProto model = OnnxExporter.export(weights,
                            export.withAllLayerOutputs());
                    traced = open(model.toByteArray());
                    tracedSession = traced;
                }
            }
        }
        return traced;
    }

    private OrtSession open(byte[] model) {
        try (OrtSession.SessionOptions options = sessionOptions()) {
            return environment.createSession(model, options);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime rejected the exported graph: " + e.getMessage(), e);
        }
    }

    private OrtSession.SessionOptions sessionOptions() {
        try {
            OrtSession.SessionOptions session = new OrtSession.SessionOptions();
            session.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session.setIntraOpNumThreads(options.threads());
            session.setInterOpNumThreads(1);
            if (cuda) {
                try {
                    session.addCUDA(0);
                } catch (OrtException e) {
                    LOG.warn("onnxruntime: the CUDA provider is present but cannot start ({}); using the CPU",
                            e.getMessage());
                }
            }
            return session;
        } catch (OrtException e) {
            throw new IllegalStateException("cannot configure ONNX Runtime: " + e.getMessage(), e);
        }
    }

    private static float[] floats(OrtSession.Result result, String name) throws OrtException {
        OnnxTensor tensor = (OnnxTensor) result.get(name).orElseThrow(
                () -> new IllegalStateException("the graph has no output " + name));
        FloatBuffer buffer = tensor.getFloatBuffer();
        float[] out = new float[buffer.remaining()];
        buffer.get(out);
        return out;
    }

    private static float[] slice(float[] all, int index, int size) {
        float[] out = new float[size];
        System.arraycopy(all, index * size, out, 0, size);
        return out;
    }

    /** Closes the sessions; a second call does nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Set<OrtSession> sessions = new HashSet<>();
        sessions.add(session);
        if (tracedSession != null) {
            sessions.add(tracedSession);
        }
        for (OrtSession s : sessions) {
            try {
                s.close();
            } catch (OrtException | RuntimeException e) {
                LOG.warn("onnxruntime: closing a session failed: {}", e.getMessage());
            }
        }
    }
}
