package dev.shears.core.onnx;

import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Structural checks on a parsed model, so that later stages can trust it: a graph is
 * present, every name a node reads is defined, and initializer shapes are sane.
 */
final class ModelValidator {
  private ModelValidator() {}

  static void validate(Path file, ModelProto model) {
    if (!model.hasGraph() || model.getIrVersion() <= 0) {
      throw new ModelFormatException(file + ": is not an ONNX model (no graph or IR version)");
    }
    if (model.getOpsetImportCount() == 0) {
      throw new ModelFormatException(file + ": declares no operator set (opset_import is empty)");
    }
    GraphProto g = model.getGraph();
    Set<String> defined = new HashSet<>();
    defined.add("");
    for (ValueInfoProto v : g.getInputList()) {
      defined.add(v.getName());
    }
    for (TensorProto t : g.getInitializerList()) {
      checkData(file, t);
      defined.add(t.getName());
    }
    for (var s : g.getSparseInitializerList()) {
      checkData(file, s.getValues());
      checkData(file, s.getIndices());
      defined.add(s.getValues().getName());
    }
    Map<String, String> producer = new HashMap<>();
    for (NodeProto n : g.getNodeList()) {
      for (String o : n.getOutputList()) {
        if (!o.isEmpty() && producer.put(o, n.getName()) != null) {
          throw new ModelFormatException(file + ": value '" + o + "' is produced by two nodes");
        }
      }
    }
    // ONNX requires nodes in topological order; a name read before it is produced is either
    // dangling or part of a cycle.
    for (NodeProto n : g.getNodeList()) {
      for (String in : n.getInputList()) {
        if (!defined.contains(in)) {
          String why = producer.containsKey(in)
              ? "is produced later (the graph is not topologically sorted or has a cycle)"
              : "is never defined";
          throw new ModelFormatException(file + ": node '" + n.getName() + "' reads '" + in + "', which " + why);
        }
      }
      defined.addAll(n.getOutputList());
    }
    for (ValueInfoProto v : g.getOutputList()) {
      if (!defined.contains(v.getName())) {
        throw new ModelFormatException(file + ": graph output '" + v.getName() + "' is never produced");
      }
    }
  }

  /**
   * Checks that a tensor's stored values agree with its shape and type, so that nothing later
   * trusts a shape the data does not back (huge declared dims, a truncated {@code raw_data}).
   * External data is checked by {@link ExternalData#check} when the model is opened.
   */
  static void checkData(Path file, TensorProto t) {
    long count = TensorShapes.elementCount(file, t);
    if (ExternalData.isExternal(t)) {
      return;
    }
    DataType type = DataType.ofCode(t.getDataType());
    if (t.hasRawData()) {
      long expected = TensorShapes.byteSize(file, t);
      if (expected >= 0 && t.getRawData().size() != expected) {
        throw new ModelFormatException(file + ": tensor '" + t.getName() + "' has "
            + t.getRawData().size() + " bytes of data but its shape and type need " + expected);
      }
      return;
    }
    long have;
    switch (t.getDataType()) {
      case 1 -> have = t.getFloatDataCount(); // FLOAT
      case 11 -> have = t.getDoubleDataCount(); // DOUBLE
      case 7 -> have = t.getInt64DataCount(); // INT64
      case 8 -> have = t.getStringDataCount(); // STRING
      case 12, 13 -> have = t.getUint64DataCount(); // UINT32, UINT64
      case 2, 3, 4, 5, 6, 9, 10, 16 -> have = t.getInt32DataCount(); // 8/16/32-bit ints, bool, halves
      default -> {
        return; // complex, float8, 4-bit: packed differently; Shears only copies them
      }
    }
    if (have != count) {
      throw new ModelFormatException(file + ": tensor '" + t.getName() + "' holds " + have
          + " values but its shape needs " + count
          + (type == null ? "" : " (" + DataType.nameOf(t.getDataType()) + ")"));
    }
  }
}
