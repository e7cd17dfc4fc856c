package ai.crate.runtime.onnx;

import ai.crate.runtime.tensor.HalfFloats;
import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Assembles an ONNX graph: nodes with generated names, float and int64 initializers, inputs and outputs. Float weights
 * may be stored as float16, each followed by a {@code Cast} to float so the graph computes in float32.
 */
final class OnnxGraph {
    private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder();
    private final boolean fp16Weights;
    private final List<OnnxMl.TensorProto> initializers = new ArrayList<>();
    private int counter;

    OnnxGraph(String name, boolean fp16Weights) {
        graph.setName(name);
        this.fp16Weights = fp16Weights;
    }

    /** A float32 weight; returns the name of a float32 value (a cast of the float16 initializer if so chosen). */
    String weight(String name, float[] values, long... dims) {
        if (!fp16Weights) {
            initializers.add(floatTensor(name, values, dims));
            return name;
        }
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            bytes.putShort(HalfFloats.floatToHalf(v));
        }
        initializers.add(tensor(name + "_fp16", OnnxMl.TensorProto.DataType.FLOAT16, bytes.array(), dims));
        return node("Cast", List.of(name + "_fp16"), name, attr("to", OnnxMl.TensorProto.DataType.FLOAT_VALUE));
    }

    /** A float32 constant that stays float32 even with FP16 weights (scalars, shifts). */
    String floatConstant(String name, float[] values, long... dims) {
        initializers.add(floatTensor(name, values, dims));
        return name;
    }

    /** An int64 constant, for shapes, axes and indices. */
    String int64Constant(String name, long... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            bytes.putLong(v);
        }
        initializers.add(tensor(name, OnnxMl.TensorProto.DataType.INT64, bytes.array(), values.length));
        return name;
    }

    /** An int8 constant (quantized weights, zero points); no dimensions make a scalar. */
    String int8Constant(String name, byte[] values, long... dims) {
        initializers.add(tensor(name, OnnxMl.TensorProto.DataType.INT8, values, dims));
        return name;
    }

    /** A rank-0 int64 constant, for {@code Gather} of a single index. */
    String int64Scalar(String name, long value) {
        ByteBuffer bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        initializers.add(tensor(name, OnnxMl.TensorProto.DataType.INT64, bytes.array()));
        return name;
    }

    /** Adds a node with one output named {@code output} (or a generated name when null); returns the output name. */
    String node(String op, List<String> inputs, String output, OnnxMl.AttributeProto... attributes) {
        String out = output != null ? output : op.toLowerCase() + "_" + (counter++);
        OnnxMl.NodeProto.Builder node = OnnxMl.NodeProto.newBuilder().setOpType(op).setName(out + "/" + op)
                .addAllInput(inputs).addOutput(out);
        for (OnnxMl.AttributeProto attribute : attributes) {
            node.addAttribute(attribute);
        }
        graph.addNode(node);
        return out;
    }

    void input(String name, OnnxMl.TensorProto.DataType type, Object... dims) {
        graph.addInput(valueInfo(name, type, dims));
    }

    void output(String name, Object... dims) {
        graph.addOutput(valueInfo(name, OnnxMl.TensorProto.DataType.FLOAT, dims));
    }

    List<OnnxMl.TensorProto> initializers() {
        return initializers;
    }

    OnnxMl.GraphProto.Builder builder() {
        return graph;
    }

    static OnnxMl.AttributeProto attr(String name, long value) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.INT)
                .setI(value).build();
    }

    static OnnxMl.AttributeProto attr(String name, float value) {
        return OnnxMl.AttributeProto.newBuilder().setName(name).setType(OnnxMl.AttributeProto.AttributeType.FLOAT)
                .setF(value).build();
    }

    static OnnxMl.AttributeProto attrInts(String name, long... values) {
        OnnxMl.AttributeProto.Builder attribute = OnnxMl.AttributeProto.newBuilder().setName(name)
                .setType(OnnxMl.AttributeProto.AttributeType.INTS);
        for (long v : values) {
            attribute.addInts(v);
        }
        return attribute.build();
    }

    private static OnnxMl.ValueInfoProto valueInfo(String name, OnnxMl.TensorProto.DataType type, Object... dims) {
        OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder();
        for (Object dim : dims) {
            OnnxMl.TensorShapeProto.Dimension.Builder d = OnnxMl.TensorShapeProto.Dimension.newBuilder();
            if (dim instanceof String) {
                d.setDimParam((String) dim);
            } else {
                d.setDimValue(((Number) dim).longValue());
            }
            shape.addDim(d);
        }
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape)))
                .build();
    }

    private static OnnxMl.TensorProto floatTensor(String name, float[] values, long... dims) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return tensor(name, OnnxMl.TensorProto.DataType.FLOAT, bytes.array(), dims);
    }

    private static OnnxMl.TensorProto tensor(String name, OnnxMl.TensorProto.DataType type, byte[] data,
            long... dims) {
        OnnxMl.TensorProto.Builder tensor = OnnxMl.TensorProto.newBuilder().setName(name)
                .setDataType(type.getNumber()).setRawData(ByteString.copyFrom(data));
        for (long d : dims) {
            tensor.addDims(d);
        }
        return tensor.build();
    }
}
