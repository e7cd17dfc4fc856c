package ai.crate.ingest.codes;

import ai.crate.ingest.proto.SparseCodes;
import ai.crate.ingest.proto.TokenSelection;
import ai.crate.runtime.tensor.HalfFloats;
import com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One layer's ISTA output {@code [tokens, dim]} to a {@code crate.codes.v1.SparseCodes} message: the selected rows
 * (cls, the token mean, or all), each cut to its {@code topK} largest magnitudes and to those at or above
 * {@code minMagnitude}, in CSR form with increasing indices per row. Shared by {@code InferenceJob} and the edge
 * agent, so both publish the same codes.
 */
public final class SparseCodeEncoder {
    private final CodesOptions options;

    public SparseCodeEncoder(CodesOptions options) {
        this.options = options;
    }

    /** The message without the frame's identity fields, which the caller sets. */
    public SparseCodes.Builder encode(float[] zNext, int tokens, int dim, int layer) {
        float[][] rows = rows(zNext, tokens, dim);
        List<Integer> offsets = new ArrayList<>();
        List<Integer> indices = new ArrayList<>();
        List<Float> values = new ArrayList<>();
        long nonzero = 0;
        offsets.add(0);
        for (float[] row : rows) {
            Integer[] kept = kept(row);
            for (float v : row) {
                nonzero += v != 0f ? 1 : 0;
            }
            Arrays.sort(kept);
            for (int index : kept) {
                indices.add(index);
                values.add(row[index]);
            }
            offsets.add(indices.size());
        }
        SparseCodes.Builder message = SparseCodes.newBuilder().setSchemaVersion(1).setLayer(layer)
                .setTokens(options.tokens()).setDim(dim).setRows(rows.length).addAllRowOffsets(offsets)
                .addAllIndices(indices).setDensity((float) nonzero / ((long) rows.length * dim));
        if (options.fp16()) {
            ByteBuffer half = ByteBuffer.allocate(2 * values.size()).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                half.putShort(HalfFloats.floatToHalf(v));
            }
            message.setValuesFp16(ByteString.copyFrom(half.array()));
        } else {
            message.addAllValuesFp32(values);
        }
        return message;
    }

    private float[][] rows(float[] z, int tokens, int dim) {
        if (options.tokens() == TokenSelection.CLS) {
            return new float[][] {Arrays.copyOf(z, dim)};
        }
        if (options.tokens() == TokenSelection.MEAN) {
            float[] mean = new float[dim];
            for (int j = 0; j < dim; j++) {
                double sum = 0;
                for (int t = 0; t < tokens; t++) {
                    sum += z[t * dim + j];
                }
                mean[j] = (float) (sum / tokens);
            }
            return new float[][] {mean};
        }
        float[][] all = new float[tokens][];
        for (int t = 0; t < tokens; t++) {
            all[t] = Arrays.copyOfRange(z, t * dim, (t + 1) * dim);
        }
        return all;
    }

    /** Indices of the entries kept in one row. */
    private Integer[] kept(float[] row) {
        List<Integer> candidates = new ArrayList<>();
        for (int j = 0; j < row.length; j++) {
            if (row[j] != 0f && Math.abs(row[j]) >= options.minMagnitude()) {
                candidates.add(j);
            }
        }
        if (options.topK() > 0 && candidates.size() > options.topK()) {
            candidates.sort((a, b) -> Float.compare(Math.abs(row[b]), Math.abs(row[a])));
            candidates = candidates.subList(0, options.topK());
        }
        return candidates.toArray(new Integer[0]);
    }
}
