package dev.shears.core.graph;

import dev.shears.api.Evidence;
import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.proto.Onnx.AttributeProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reduction nodes appended to a graph so that ONNX Runtime returns statistics of each
 * prunable layer's input instead of the activations themselves: per input feature the sum
 * of squares ({@code ReduceSumSquare} over every token), and on request the Gram matrix
 * {@code XᵀX}. One forward pass then yields a vector (or matrix) per layer, whatever the
 * batch size: memory does not grow with the calibration set.
 */
public final class StatisticsProbes {
  private static final String PREFIX = "shears/stat/";

  /**
   * The outputs of one probe on one consumer's activation.
   *
   * @param tensor the prunable tensor
   * @param activation the activation the probe reads
   * @param squareSums output name of the per-feature sum of squares, or null
   * @param gram output name of XᵀX, or null
   * @param rows output name of the reshaped activation's shape ({@code [tokens, in]})
   *     (probes on the same activation share their output names)
   * @param absSums output name of the per-feature sum of |x|, or null
   * @param absMax output name of the per-feature maximum of |x|, or null
   */
  public record Probe(String tensor, String activation, String squareSums, String gram, String rows,
      String absSums, String absMax) {

    /** A probe without the absolute-value reductions. */
    public Probe(String tensor, String activation, String squareSums, String gram, String rows) {
      this(tensor, activation, squareSums, gram, rows, null, null);
    }
  }

  private final List<NodeProto> nodes = new ArrayList<>();
  private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
  private final List<Probe> probes = new ArrayList<>();
  private final List<String> outputs = new ArrayList<>();
  private final Map<String, Probe> byActivation = new java.util.HashMap<>();
  private final int opset;
  private final String maskInput;
  private final java.util.function.Predicate<String> masked;
  private String maskColumn;
  private String maskTokens;
  private int counter;

  public StatisticsProbes(int opset) {
    this(opset, null, a -> false);
  }

  /**
   * Probes whose reductions count only real tokens on the activations {@code masked} accepts:
   * each row of such an activation ({@code [batch, tokens, features]}) is weighted by its
   * position's value in {@code maskInput} ({@code [batch, tokens]}, 1 for a token and 0 for
   * padding), and its token count is the mask's sum.
   */
  public StatisticsProbes(int opset, String maskInput, java.util.function.Predicate<String> masked) {
    this.opset = opset;
    this.maskInput = maskInput;
    this.masked = masked;
  }

  /** Whether some probe reads the mask input (it must then be an input of the graph). */
  public boolean readsMask() {
    return maskColumn != null;
  }

  /**
   * Adds probes on every consumer of {@code t} whose activation is in {@code computable}.
   * Consumers that read the same activation (a block's Q, K and V projections) share one set
   * of reduction nodes: their statistics are the same numbers.
   */
  public void add(PrunableTensor t, Set<Evidence> kinds, Set<String> computable) {
    for (Consumer c : t.consumers()) {
      if (computable != null && !computable.contains(c.activation())) {
        continue;
      }
      String key = c.activation() + "|" + t.dataType() + "|" + t.columns() + "|" + c.activationTransposed();
      Probe shared = byActivation.get(key);
      if (shared == null) {
        shared = reductions(c.activation(), c.activationTransposed(), t, kinds);
        byActivation.put(key, shared);
      }
      probes.add(new Probe(t.name(), c.activation(), shared.squareSums(), shared.gram(), shared.rows(),
          shared.absSums(), shared.absMax()));
    }
  }

  /** The reduction nodes on one activation; the returned probe's tensor is not used. */
  private Probe reductions(String activation, boolean transposed, PrunableTensor t, Set<Evidence> kinds) {
    int k = counter++;
    String p = PREFIX + k + "/";
    String x = activation;
    if (t.dataType() != DataType.FLOAT) {
      nodes.add(node("Cast", List.of(x), p + "cast", attrInt("to", DataType.FLOAT.code())));
      x = p + "cast";
    }
    if (transposed) {
      // features on the second-to-last axis (y = W·x), whatever the rank: fold the leading
      // axes into one ([-1, in, n], from the value's own shape), then swap the last two
      nodes.add(node("Shape", List.of(x), p + "shape"));
      nodes.add(node("Slice", List.of(p + "shape", int64s("starts/-2", -2), int64s("ends/max", Long.MAX_VALUE)),
          p + "last2"));
      nodes.add(node("Concat", List.of(int64s("minus1", -1), p + "last2"), p + "shape3", attrInt("axis", 0)));
      nodes.add(node("Reshape", List.of(x, p + "shape3"), p + "x3"));
      nodes.add(node("Transpose", List.of(p + "x3"), p + "swap",
          AttributeProto.newBuilder().setName("perm").setType(AttributeProto.AttributeType.INTS)
              .addInts(0).addInts(2).addInts(1).build()));
      x = p + "swap";
    }
    String shape = reshapeTarget(t.columns());
    nodes.add(node("Reshape", List.of(x, shape), p + "x2d"));
    String x2d = p + "x2d";
    String rows = p + "rows";
    if (!transposed && maskInput != null && masked.test(activation)) {
      // zero the padded rows: they then add nothing to any sum, square, product or |x|
      // (a row of zeros never raises a maximum of absolute values either)
      nodes.add(node("Mul", List.of(x2d, maskColumn()), p + "x2dmasked"));
      x2d = p + "x2dmasked";
      rows = maskTokens;
    } else {
      nodes.add(node("Shape", List.of(x2d), rows));
      outputs.add(rows);
    }
    String ss = null;
    if (kinds.contains(Evidence.ACTIVATION_NORMS)) {
      ss = p + "ss";
      if (opset >= 18) {
        nodes.add(node("ReduceSumSquare", List.of(x2d, axesZero()), ss, attrInt("keepdims", 0)));
      } else {
        nodes.add(node("ReduceSumSquare", List.of(x2d), ss,
            AttributeProto.newBuilder().setName("axes").setType(AttributeProto.AttributeType.INTS).addInts(0).build(),
            attrInt("keepdims", 0)));
      }
      outputs.add(ss);
    }
    String gram = null;
    if (kinds.contains(Evidence.INPUT_GRAM)) {
      gram = p + "gram";
      nodes.add(node("Transpose", List.of(x2d), p + "xt",
          AttributeProto.newBuilder().setName("perm").setType(AttributeProto.AttributeType.INTS)
              .addInts(1).addInts(0).build()));
      nodes.add(node("MatMul", List.of(p + "xt", x2d), gram));
      outputs.add(gram);
    }
    String absSums = null;
    String absMax = null;
    if (kinds.contains(Evidence.ACTIVATION_ABS_SUMS) || kinds.contains(Evidence.ACTIVATION_ABS_MAX)) {
      nodes.add(node("Abs", List.of(x2d), p + "abs"));
      if (kinds.contains(Evidence.ACTIVATION_ABS_SUMS)) {
        absSums = p + "abssum";
        nodes.add(reduceOverTokens("ReduceSum", p + "abs", absSums, 13));
        outputs.add(absSums);
      }
      if (kinds.contains(Evidence.ACTIVATION_ABS_MAX)) {
        absMax = p + "absmax";
        nodes.add(reduceOverTokens("ReduceMax", p + "abs", absMax, 18));
        outputs.add(absMax);
      }
    }
    return new Probe(t.name(), activation, ss, gram, rows, absSums, absMax);
  }

  /** The mask as a float column, one entry per row of a masked activation's 2-D view. */
  private String maskColumn() {
    if (maskColumn == null) {
      String p = PREFIX + "mask/";
      nodes.add(node("Cast", List.of(maskInput), p + "float", attrInt("to", DataType.FLOAT.code())));
      String column = PREFIX + "shape/column";
      initializers.computeIfAbsent(column, n -> TensorProto.newBuilder().setName(n)
          .setDataType(DataType.INT64.code()).addDims(2).addInt64Data(-1).addInt64Data(1).build());
      nodes.add(node("Reshape", List.of(p + "float", column), p + "column"));
      // no axes: every axis is reduced, at any opset; keepdims gives a 1-element [1, 1] tensor
      nodes.add(node("ReduceSum", List.of(p + "column"), p + "sum", attrInt("keepdims", 1)));
      nodes.add(node("Cast", List.of(p + "sum"), p + "tokens", attrInt("to", DataType.INT64.code())));
      outputs.add(p + "tokens");
      maskColumn = p + "column";
      maskTokens = p + "tokens";
    }
    return maskColumn;
  }

  /** A reduction over axis 0 (the tokens); its axes became an input at {@code axesInputOpset}. */
  private NodeProto reduceOverTokens(String op, String input, String output, int axesInputOpset) {
    if (opset >= axesInputOpset) {
      return node(op, List.of(input, axesZero()), output, attrInt("keepdims", 0));
    }
    return node(op, List.of(input), output,
        AttributeProto.newBuilder().setName("axes").setType(AttributeProto.AttributeType.INTS).addInts(0).build(),
        attrInt("keepdims", 0));
  }

  private String reshapeTarget(int columns) {
    String name = PREFIX + "shape/" + columns;
    initializers.computeIfAbsent(name, n -> TensorProto.newBuilder().setName(n)
        .setDataType(DataType.INT64.code()).addDims(2).addInt64Data(-1).addInt64Data(columns).build());
    return name;
  }

  /** A shared 1-D int64 constant. */
  private String int64s(String key, long value) {
    String name = PREFIX + "const/" + key;
    initializers.computeIfAbsent(name, n -> TensorProto.newBuilder().setName(n)
        .setDataType(DataType.INT64.code()).addDims(1).addInt64Data(value).build());
    return name;
  }

  private String axesZero() {
    String name = PREFIX + "axes0";
    initializers.computeIfAbsent(name, n -> TensorProto.newBuilder().setName(n)
        .setDataType(DataType.INT64.code()).addDims(1).addInt64Data(0).build());
    return name;
  }

  private static NodeProto node(String op, List<String> inputs, String output, AttributeProto... attrs) {
    NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(output).addAllInput(inputs).addOutput(output);
    for (AttributeProto a : attrs) {
      b.addAttribute(a);
    }
    return b.build();
  }

  private static AttributeProto attrInt(String name, long v) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
  }

  public List<NodeProto> nodes() {
    return nodes;
  }

  public List<TensorProto> initializers() {
    return new ArrayList<>(initializers.values());
  }

  public List<Probe> probes() {
    return probes;
  }

  public List<String> outputs() {
    return outputs;
  }

  /** The activations the probes read. */
  public Set<String> activations() {
    Set<String> a = new java.util.LinkedHashSet<>();
    probes.forEach(p -> a.add(p.activation()));
    return a;
  }
}
