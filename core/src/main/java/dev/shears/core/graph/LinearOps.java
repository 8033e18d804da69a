package dev.shears.core.graph;

import dev.shears.core.onnx.proto.Onnx.AttributeProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every linear operator of a graph that multiplies by a constant operand, with how that
 * operand is laid out and where it comes from: the accounting behind the inventory, so that
 * no weight is silently left out. A constant operand is followed back through
 * {@code Identity}, 2-D {@code Transpose} and {@code Cast} to its initializer; any other
 * route (a {@code Reshape}, a {@code Constant} node, a {@code DequantizeLinear}) still yields
 * a use, with the reason it cannot be pruned.
 */
final class LinearOps {
  /** Operators whose weights are quantized: listed, never pruned. */
  private static final Set<String> QUANTIZED = Set.of("MatMulInteger", "QLinearMatMul", "MatMulNBits",
      "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "QAttention", "QGemm", "QLinearConv", "ConvInteger",
      "QOrderedMatMul", "GatherBlockQuantized");
  private static final Set<String> CONVOLUTIONS = Set.of("Conv", "ConvTranspose");

  /**
   * One constant operand of one linear node.
   *
   * @param node the node's index
   * @param nodeName the node's name
   * @param opType the node's operator
   * @param initializer the initializer the operand comes from, or null when none is found
   * @param layout how the initializer is stored relative to the output × input view
   * @param activation the node's other (data) operand, whose statistics the weight needs
   * @param activationTransposed whether the activation's input features run along its
   *     second-to-last axis ({@code W·x}, or a transposed Gemm operand) instead of its last
   * @param chain the pass-through nodes between the initializer and the node
   * @param skipReason why the operand cannot be pruned, or null when it can
   */
  record Use(int node, String nodeName, String opType, String initializer, WeightLayout layout,
      String activation, boolean activationTransposed, List<Integer> chain, String skipReason) {}

  private final DataFlow flow;
  private final Map<String, Boolean> constant = new HashMap<>();

  private LinearOps(DataFlow flow) {
    this.flow = flow;
  }

  /** The constant operands of every linear node, in graph order. */
  static List<Use> find(DataFlow flow) {
    return new LinearOps(flow).findAll();
  }

  private List<Use> findAll() {
    List<Use> uses = new ArrayList<>();
    for (int i = 0; i < flow.size(); i++) {
      NodeProto n = flow.node(i);
      String op = n.getOpType();
      String domain = n.getDomain();
      boolean standard = domain.isEmpty() || domain.equals("ai.onnx");
      boolean microsoft = domain.equals("com.microsoft");
      if (QUANTIZED.contains(op)) {
        for (int k = 0; k < n.getInputCount(); k++) {
          Origin o = origin(n.getInput(k));
          if (o != null && o.initializer != null && flow.initializerProto(flow.initializer(o.initializer))
              .getDimsCount() >= 2) {
            uses.add(skip(i, n, o, "quantized weight (" + op + "); Shears prunes float weights only"));
          }
        }
      } else if (CONVOLUTIONS.contains(op) && n.getInputCount() > 1) {
        Origin o = origin(n.getInput(1));
        if (o != null) {
          uses.add(skip(i, n, o, "convolution weight (" + op + "); Shears prunes MatMul and Gemm weights"));
        }
      } else if (op.equals("MatMul") && standard && n.getInputCount() == 2) {
        twoOperands(uses, i, n, false, false, "");
      } else if ((op.equals("Gemm") && standard || op.equals("FusedGemm") && microsoft) && n.getInputCount() >= 2) {
        twoOperands(uses, i, n, attr(n, "transA") != 0, attr(n, "transB") != 0, "");
      } else if (op.equals("FusedMatMul") && microsoft && n.getInputCount() == 2) {
        String unsupported = attr(n, "transBatchA") != 0 || attr(n, "transBatchB") != 0
            ? "FusedMatMul with transBatchA/transBatchB is not supported" : "";
        twoOperands(uses, i, n, attr(n, "transA") != 0, attr(n, "transB") != 0, unsupported);
      } else if (op.equals("Attention") && microsoft && n.getInputCount() >= 2) {
        // packed Q, K and V projections: [hidden, 3 × hidden]; every output channel belongs to one
        // projection, so per-row comparison groups are exactly per projection
        Origin o = origin(n.getInput(1));
        if (o != null) {
          uses.add(use(i, n, o, WeightLayout.IN_OUT, n.getInput(0), false, ""));
        }
      }
    }
    return uses;
  }

  /**
   * A two-operand product {@code op(A) · op(B)} (MatMul, Gemm, FusedMatMul): the constant
   * operand is the weight. As the right operand, {@code B} ({@code [in, out]}, or
   * {@code [out, in]} when transposed) multiplies features on the activation's last axis
   * ({@code op(A)} with {@code transA} flips that). As the left operand ({@code y = W·x}),
   * {@code A} is {@code [out, in]} ({@code [in, out]} when transposed) and the activation's
   * features run along its second-to-last axis, unless {@code transB} flips them.
   */
  private void twoOperands(List<Use> uses, int i, NodeProto n, boolean transA, boolean transB, String unsupported) {
    Origin a = origin(n.getInput(0));
    Origin b = origin(n.getInput(1));
    if (a != null && b != null) {
      uses.add(skip(i, n, b, "both operands of " + n.getOpType() + " are constant"));
      return;
    }
    if (b != null) {
      uses.add(use(i, n, b, transB ? WeightLayout.OUT_IN : WeightLayout.IN_OUT, n.getInput(0), transA, unsupported));
    } else if (a != null) {
      uses.add(use(i, n, a, transA ? WeightLayout.IN_OUT : WeightLayout.OUT_IN, n.getInput(1), !transB, unsupported));
    }
  }

  private Use use(int i, NodeProto n, Origin o, WeightLayout asUsed, String activation, boolean transposed,
      String unsupported) {
    if (o.skipReason != null) {
      return skip(i, n, o, o.skipReason);
    }
    if (!unsupported.isEmpty()) {
      return skip(i, n, o, unsupported);
    }
    WeightLayout stored = o.transposes % 2 == 0 ? asUsed
        : asUsed == WeightLayout.IN_OUT ? WeightLayout.OUT_IN : WeightLayout.IN_OUT;
    return new Use(i, n.getName(), n.getOpType(), o.initializer, stored, activation, transposed, o.chain, null);
  }

  private static Use skip(int i, NodeProto n, Origin o, String why) {
    return new Use(i, n.getName(), n.getOpType(), o.initializer, null, null, false, o.chain, why);
  }

  /**
   * Where a constant operand comes from.
   *
   * @param initializer the initializer at the end of the chain, or null
   * @param transposes how many 2-D transposes lie on the way
   * @param chain the pass-through nodes on the way
   * @param skipReason set when the operand is constant but not a prunable initializer
   */
  private record Origin(String initializer, int transposes, List<Integer> chain, String skipReason) {}

  /** The constant origin of an operand, or null when it is not constant (an activation). */
  private Origin origin(String value) {
    if (value.isEmpty() || !isConstant(value)) {
      return null;
    }
    List<Integer> chain = new ArrayList<>();
    int transposes = 0;
    String v = value;
    for (int hops = 0; hops < 10_000; hops++) {
      if (flow.initializer(v) != null) {
        return new Origin(v, transposes, chain, null);
      }
      Integer p = flow.producer(v);
      if (p == null) {
        return new Origin(null, transposes, chain, "constant operand " + value + " has no initializer");
      }
      NodeProto node = flow.node(p);
      String op = node.getOpType();
      if (op.equals("Identity") || op.equals("Cast")) {
        chain.add(p);
        v = node.getInput(0);
      } else if (op.equals("Transpose") && isMatrixSwap(node)) {
        chain.add(p);
        transposes++;
        v = node.getInput(0);
      } else if (op.equals("DequantizeLinear")) {
        chain.add(p);
        String q = node.getInput(0);
        return new Origin(flow.initializer(q) != null ? q : null, transposes, chain,
            "quantized weight (DequantizeLinear); Shears prunes float weights only");
      } else if (op.equals("Constant")) {
        return new Origin(null, transposes, chain, "weight held in a Constant node (" + node.getName()
            + "), not an initializer");
      } else {
        chain.add(p);
        String init = firstInitializer(node);
        return new Origin(init, transposes, chain, "weight reaches the node through " + op
            + " (" + node.getName() + "); only Identity, Cast and 2-D Transpose are followed");
      }
    }
    return new Origin(null, transposes, chain, "constant operand " + value + " is too deep to follow");
  }

  private String firstInitializer(NodeProto node) {
    for (String in : node.getInputList()) {
      if (flow.initializer(in) != null) {
        return in;
      }
    }
    return null;
  }

  /** A Transpose that swaps the two axes of a matrix: perm [1, 0], or no perm on a 2-D input. */
  private boolean isMatrixSwap(NodeProto node) {
    for (AttributeProto a : node.getAttributeList()) {
      if (a.getName().equals("perm")) {
        return a.getIntsCount() == 2 && a.getInts(0) == 1 && a.getInts(1) == 0;
      }
    }
    String in = node.getInput(0);
    Integer init = flow.initializer(in);
    return init == null || flow.initializerProto(init).getDimsCount() == 2;
  }

  /** Whether a value is computed from initializers and constants alone. */
  private boolean isConstant(String value) {
    Boolean known = constant.get(value);
    if (known != null) {
      return known;
    }
    // iterative post-order: chains of constant folding leftovers can be long
    java.util.Deque<String> stack = new java.util.ArrayDeque<>();
    stack.push(value);
    while (!stack.isEmpty()) {
      String v = stack.peek();
      if (constant.containsKey(v)) {
        stack.pop();
        continue;
      }
      if (flow.initializer(v) != null) {
        constant.put(v, true);
        stack.pop();
        continue;
      }
      Integer p = flow.producer(v);
      if (p == null) {
        constant.put(v, false);
        stack.pop();
        continue;
      }
      NodeProto node = flow.node(p);
      if (node.getOpType().equals("Constant")) {
        constant.put(v, true);
        stack.pop();
        continue;
      }
      List<String> reads = DataFlow.reads(node);
      if (reads.isEmpty() || node.getOpType().equals("Shape") || node.getOpType().startsWith("Random")) {
        constant.put(v, false);
        stack.pop();
        continue;
      }
      boolean pending = false;
      boolean all = true;
      for (String in : reads) {
        Boolean c = constant.get(in);
        if (c == null) {
          stack.push(in);
          pending = true;
        } else {
          all &= c;
        }
      }
      if (!pending) {
        constant.put(v, all);
        stack.pop();
      }
    }
    return constant.get(value);
  }

  private static long attr(NodeProto n, String name) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a.getI();
      }
    }
    return 0;
  }
}
