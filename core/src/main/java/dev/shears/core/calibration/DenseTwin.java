package dev.shears.core.calibration;

import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A renamed copy of a stage's nodes that computes the stage from the dense model's cached
 * values while the original nodes compute it from the pruned model's, in the same session:
 * every value except the initializers and the model's own inputs gets a prefix. A stage's
 * sub-graph runs the previous stage (pruned by now) from its cached input, then the stage
 * itself (still dense); the copy reads the previous stage's dense weights under new names.
 */
final class DenseTwin {
  static final String PREFIX = "shears/dense/";

  private final Set<String> shared = new HashSet<>();

  DenseTwin(GraphProto graph, Set<String> graphInputs) {
    graph.getInitializerList().forEach(t -> shared.add(t.getName()));
    shared.addAll(graphInputs);
    shared.add("");
  }

  /** The dense model's counterpart of {@code value}: itself when both models share it. */
  String name(String value) {
    return shared.contains(value) ? value : PREFIX + value;
  }

  /**
   * Whether the chosen nodes can be copied: a control-flow node's sub-graphs read outer
   * values by name, which a copy cannot rename without rewriting the sub-graphs.
   */
  static boolean copyable(GraphProto graph, BitSet nodes) {
    for (int i = nodes.nextSetBit(0); i >= 0; i = nodes.nextSetBit(i + 1)) {
      for (var a : graph.getNode(i).getAttributeList()) {
        if (a.hasG() || a.getGraphsCount() > 0) {
          return false;
        }
      }
    }
    return true;
  }

  /** A stage's dense copy: its nodes, and the dense values of the weights pruned so far. */
  record Copy(List<NodeProto> nodes, List<TensorProto> initializers) {}

  /**
   * The renamed copies of the chosen nodes, in graph order. A weight in {@code pruned} is
   * overridden by its pruned values in the session, so the copies read it under a new name,
   * declared by a copy of the model's initializer: the session then takes the model's own
   * (dense) values for it.
   */
  Copy copy(GraphProto graph, BitSet nodes, Set<String> pruned) {
    List<NodeProto> out = new ArrayList<>();
    Set<String> denseWeights = new LinkedHashSet<>();
    for (int i = nodes.nextSetBit(0); i >= 0; i = nodes.nextSetBit(i + 1)) {
      NodeProto n = graph.getNode(i);
      NodeProto.Builder b = n.toBuilder().clearInput().clearOutput()
          .setName(PREFIX + (n.getName().isEmpty() ? "node" + i : n.getName()));
      for (String v : n.getInputList()) {
        if (pruned.contains(v)) {
          denseWeights.add(v);
          b.addInput(PREFIX + v);
        } else {
          b.addInput(name(v));
        }
      }
      n.getOutputList().forEach(v -> b.addOutput(name(v)));
      out.add(b.build());
    }
    List<TensorProto> inits = new ArrayList<>();
    for (TensorProto t : graph.getInitializerList()) {
      if (denseWeights.contains(t.getName())) {
        inits.add(t.toBuilder().setName(PREFIX + t.getName()).build());
      }
    }
    return new Copy(out, inits);
  }
}
