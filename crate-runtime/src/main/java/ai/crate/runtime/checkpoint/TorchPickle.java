package ai.crate.runtime.checkpoint;

import ai.crate.runtime.tensor.DType;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the {@code data.pkl} of a {@code torch.save} archive into plain Java values: maps, lists, numbers, strings
 * and {@link TensorRef}s that point into the archive's storages. Only the globals that a saved state dict needs
 * are known (OrderedDict, the tensor and parameter rebuild functions, storage types and a few inert values);
 * any other global is refused with {@link UnsafePickleException} before anything is built. Nothing in the pickle is
 * ever executed: each known global maps to a Java constructor of data.
 */
final class TorchPickle extends Unpickler {

    /** A reference to a typed storage of the archive, {@code data/<key>}, holding {@code numel} elements. */
    record StorageRef(String key, DType dtype, long numel) {
    }

    /** A tensor view: storage, element offset, sizes and strides, as {@code torch._utils._rebuild_tensor_v2} gets them. */
    record TensorRef(StorageRef storage, long offset, int[] shape, long[] strides) {
    }

    /** A storage class such as {@code torch.FloatStorage}, seen only as the type inside a persistent id. */
    private record StorageType(String name, DType dtype) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException("torch." + name + " cannot be called from a weights file");
        }
    }

    /** A value we accept but do not interpret (numpy scalars, argparse namespaces, devices in optimizer state). */
    record Inert(String global, Object[] args) {
    }

    /** A global outside the allow-list: the pickle wants to build something a weights file never contains. */
    static final class UnsafePickleException extends PickleException {
        UnsafePickleException(String message) {
            super(message);
        }
    }

    private static final Map<String, DType> STORAGE_TYPES = Map.ofEntries(
            Map.entry("FloatStorage", DType.F32), Map.entry("HalfStorage", DType.F16),
            Map.entry("BFloat16Storage", DType.BF16), Map.entry("DoubleStorage", DType.F64),
            Map.entry("LongStorage", DType.I64), Map.entry("IntStorage", DType.I32),
            Map.entry("ShortStorage", DType.I16), Map.entry("CharStorage", DType.I8),
            Map.entry("ByteStorage", DType.U8), Map.entry("BoolStorage", DType.BOOL));

    private static final Set<String> INERT_GLOBALS = Set.of("torch.device", "torch.Size",
            "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar", "numpy.dtype", "argparse.Namespace",
            "torch.torch_version.TorchVersion", "torch.float32", "torch.float16", "torch.bfloat16");

    private static final IObjectConstructor REBUILD_TENSOR = TorchPickle::rebuildTensor;
    private static final IObjectConstructor REBUILD_PARAMETER = args -> args[0];
    private static final int MAX_KEY_DEPTH = 4;
    private static final int DESCRIBE_LIMIT = 160;

    @Override
    protected Object dispatch(short key) throws PickleException, IOException {
        switch (key) {
            case Opcodes.BINUNICODE:
            case Opcodes.BINBYTES:
            case Opcodes.BINSTRING:
            case Opcodes.LONG4:
                checkLength(4);
                return super.dispatch(key);
            case Opcodes.BINUNICODE8:
            case Opcodes.BINBYTES8:
            case Opcodes.BYTEARRAY8:
                checkLength(8);
                return super.dispatch(key);
            case Opcodes.SETITEM: {
                Object value = stack.pop();
                Object dictKey = stack.pop();
                checkKey(dictKey, 0);
                stack.add(dictKey);
                stack.add(value);
                return super.dispatch(key);
            }
            case Opcodes.SETITEMS:
            case Opcodes.DICT:
            case Opcodes.ADDITEMS:
            case Opcodes.FROZENSET: {
                List<Object> items = stack.pop_all_since_marker();
                boolean pairs = key == Opcodes.SETITEMS || key == Opcodes.DICT;
                for (int i = 0; i < items.size(); i += pairs ? 2 : 1) {
                    checkKey(items.get(i), 0);
                }
                stack.add_mark();
                items.forEach(stack::add);
                return super.dispatch(key);
            }
            case Opcodes.GLOBAL: {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                stack.add(resolve(module, name));
                return NO_RETURN_VALUE;
            }
            case Opcodes.STACK_GLOBAL: {
                Object name = stack.pop();
                Object module = stack.pop();
                stack.add(resolve(String.valueOf(module), String.valueOf(name)));
                return NO_RETURN_VALUE;
            }
            case Opcodes.INST:
            case Opcodes.OBJ:
            case Opcodes.EXT1:
            case Opcodes.EXT2:
            case Opcodes.EXT4:
            case Opcodes.NEWOBJ_EX:
                throw new UnsafePickleException("pickle opcode " + key + " builds arbitrary objects,"
                        + " which a weights file never needs");
            case Opcodes.BUILD: {
                Object state = stack.pop();
                Object target = stack.peek();
                boolean stateDictMetadata = target instanceof Map && state instanceof Map;
                if (!(stateDictMetadata || target instanceof Inert || target instanceof TensorRef)) {
                    throw new UnsafePickleException("pickle sets the state of " + describe(target)
                            + ", which a weights file never needs");
                }
                return NO_RETURN_VALUE;
            }
            case Opcodes.REDUCE:
            case Opcodes.NEWOBJ: {
                Object args = stack.pop();
                Object callable = stack.pop();
                if (!(callable instanceof IObjectConstructor) || !(args instanceof Object[])) {
                    throw new UnsafePickleException("pickle calls " + describe(callable) + ", which is not callable"
                            + " in a weights file");
                }
                stack.add(((IObjectConstructor) callable).construct((Object[]) args));
                return NO_RETURN_VALUE;
            }
            default:
                return super.dispatch(key);
        }
    }

    @Override
    protected Object persistentLoad(Object pid) {
        if (!(pid instanceof Object[]) || ((Object[]) pid).length != 5 || !"storage".equals(((Object[]) pid)[0])) {
            throw new PickleException("unexpected persistent id " + describe(pid)
                    + " (expected ('storage', type, key, location, numel))");
        }
        Object[] parts = (Object[]) pid;
        if (!(parts[1] instanceof StorageType)) {
            throw new PickleException("persistent id names " + describe(parts[1]) + " instead of a storage type");
        }
        return new StorageRef(String.valueOf(parts[2]), ((StorageType) parts[1]).dtype(),
                toLong(parts[4], "storage size"));
    }

    private static Object resolve(String module, String name) {
        String global = module + "." + name;
        if (module.equals("torch") && STORAGE_TYPES.containsKey(name)) {
            return new StorageType(name, STORAGE_TYPES.get(name));
        }
        switch (global) {
            case "collections.OrderedDict":
                return (IObjectConstructor) args -> new LinkedHashMap<>();
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                return REBUILD_TENSOR;
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return REBUILD_PARAMETER;
            case "torch._tensor._rebuild_from_type_v2":
                return (IObjectConstructor) TorchPickle::rebuildFromType;
            case "torch.Tensor":
            case "torch.nn.parameter.Parameter":
                return new Inert(global, new Object[0]);
            case "builtins.set":
            case "__builtin__.set":
            case "builtins.frozenset":
            case "__builtin__.frozenset":
                return (IObjectConstructor) args -> args.length == 0 ? new ArrayList<>() : args[0];
            case "_codecs.encode":
                return (IObjectConstructor) args -> args[0];
            default:
                if (INERT_GLOBALS.contains(global)) {
                    return (IObjectConstructor) args -> new Inert(global, args);
                }
                throw new UnsafePickleException("the pickle refers to '" + global + "', which a weights file"
                        + " never needs; refusing to load it (nothing from a pickle is ever executed)");
        }
    }

    private static Object rebuildTensor(Object[] args) {
        if (args.length < 4 || !(args[0] instanceof StorageRef)) {
            throw new PickleException("_rebuild_tensor_v2 called with unexpected arguments " + describe(args));
        }
        Object[] sizes = tuple(args[2], "sizes");
        Object[] strides = tuple(args[3], "strides");
        if (sizes.length != strides.length) {
            throw new PickleException("tensor with " + sizes.length + " sizes but " + strides.length + " strides");
        }
        int[] shape = new int[sizes.length];
        long[] stride = new long[strides.length];
        for (int i = 0; i < sizes.length; i++) {
            long size = toLong(sizes[i], "size");
            stride[i] = toLong(strides[i], "stride");
            if (size < 0 || size > Integer.MAX_VALUE || stride[i] < 0) {
                throw new PickleException("tensor with invalid size " + size + " or stride " + stride[i]);
            }
            shape[i] = (int) size;
        }
        long offset = toLong(args[1], "storage offset");
        if (offset < 0) {
            throw new PickleException("tensor with negative storage offset " + offset);
        }
        return new TensorRef((StorageRef) args[0], offset, shape, stride);
    }

    private static Object rebuildFromType(Object[] args) {
        if (args.length < 3 || (args[0] != REBUILD_TENSOR && args[0] != REBUILD_PARAMETER)) {
            throw new PickleException("_rebuild_from_type_v2 called with unexpected arguments " + describe(args));
        }
        return ((IObjectConstructor) args[0]).construct(tuple(args[2], "arguments"));
    }

    private static Object[] tuple(Object value, String what) {
        if (value instanceof Object[]) {
            return (Object[]) value;
        }
        if (value instanceof List) {
            return ((List<?>) value).toArray();
        }
        if (value instanceof Inert && ((Inert) value).args().length == 1
                && ((Inert) value).args()[0] instanceof Object[]) {
            return (Object[]) ((Inert) value).args()[0];
        }
        throw new PickleException("expected a tuple of " + what + ", got " + describe(value));
    }

    private static long toLong(Object value, String what) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        throw new PickleException("expected an integer " + what + ", got " + describe(value));
    }

    /** Refuses dict keys and set elements that Python could not hash either, so hashing them stays cheap. */
    private static void checkKey(Object key, int depth) {
        if (key == null || key instanceof String || key instanceof Number || key instanceof Boolean) {
            return;
        }
        if (key instanceof Object[] && depth < MAX_KEY_DEPTH) {
            for (Object element : (Object[]) key) {
                checkKey(element, depth + 1);
            }
            return;
        }
        throw new PickleException("unexpected dict key or set element " + describe(key));
    }

    /** Fails unless the length prefix of the next item fits in what is left of the pickle. */
    private void checkLength(int prefixBytes) throws IOException {
        if (!input.markSupported()) {
            return;
        }
        input.mark(prefixBytes);
        byte[] prefix = input.readNBytes(prefixBytes);
        input.reset();
        if (prefix.length < prefixBytes) {
            throw new PickleException("pickle ends inside a length prefix");
        }
        long length = 0;
        for (int i = prefixBytes - 1; i >= 0; i--) {
            length = (length << 8) | (prefix[i] & 0xff);
        }
        if (prefixBytes == 4) {
            length = (int) length;
        }
        if (length < 0 || length > input.available() - prefixBytes) {
            throw new PickleException("item of " + length + " bytes in a pickle with " + (input.available()
                    - prefixBytes) + " bytes left");
        }
    }

    private static String describe(Object value) {
        String text;
        if (value == null) {
            text = "None";
        } else if (value instanceof Object[]) {
            text = "tuple of " + ((Object[]) value).length;
        } else if (value instanceof java.util.Collection || value instanceof Map) {
            text = value.getClass().getSimpleName() + " of " + (value instanceof Map ? ((Map<?, ?>) value).size()
                    : ((java.util.Collection<?>) value).size());
        } else {
            text = value.getClass().getSimpleName() + " " + value;
        }
        return text.length() > DESCRIBE_LIMIT ? text.substring(0, DESCRIBE_LIMIT) + "..." : text;
    }
}
