package dev.shears.core.calibration;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.shears.core.ShearsException;
import dev.shears.core.graph.Subgraph;
import dev.shears.core.onnx.DataType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;

/**
 * Which layer inputs are text positions that padding can occupy, so that statistics count
 * only real tokens.
 *
 * <p>A text padded to a fixed length (MiniLM's tokenizer pads every sentence to 128 tokens)
 * would otherwise give statistics that are mostly padding: a padded position still flows
 * through every layer, but no output a user reads depends on it. Wanda's norms and
 * SparseGPT's Gram matrix would then fit the weights to positions that do not matter.
 *
 * <p>An activation is masked when the model has an {@code attention_mask} input of rank 2
 * and the activation both depends on an input of the mask's shape (ids, mask, token types)
 * and has, on a real calibration batch, the mask's shape as its two leading axes ({@code
 * [batch, tokens, features]}). The data-flow test keeps an image tower whose patch count
 * happens to equal the text length unmasked; the shape test keeps pooled or reshaped values
 * ({@code [batch, features]}) unmasked. Both come from the graph and one small batch, never
 * from node names.
 */
final class PaddingMask {
  static final String INPUT = "attention_mask";

  private final Set<String> masked;
  private final boolean trims;

  private PaddingMask(Set<String> masked, boolean trims) {
    this.masked = masked;
    this.trims = trims;
  }

  /** No activation masked: every position counts. */
  static final PaddingMask NONE = new PaddingMask(Set.of(), false);

  /**
   * Whether positions that are padding in every row of a batch may be cut before a pass: some
   * activation is masked (so they would add nothing) and the sequence axis is not fixed.
   */
  boolean trims() {
    return trims;
  }

  /** Whether {@code activation}'s positions are weighted by the attention mask. */
  boolean masks(String activation) {
    return masked.contains(activation);
  }

  boolean isEmpty() {
    return masked.isEmpty();
  }

  /** This decision together with {@code other}'s, made for other activations of the model. */
  PaddingMask with(PaddingMask other) {
    if (other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    Set<String> both = new LinkedHashSet<>(masked);
    both.addAll(other.masked);
    return new PaddingMask(both, trims || other.trims);
  }

  /**
   * Decides for {@code candidates} (activations whose features lie on the last axis) by
   * running the graph up to them on the first two calibration samples.
   */
  static PaddingMask detect(GraphProto graph, Set<String> graphInputs, Set<String> candidates,
      CalibrationSource source, SessionFactory sessions, OrtEnvironment env,
      Map<String, DataType> halfInputs) {
    if (candidates.isEmpty() || !graphInputs.contains(INPUT) || !source.inputNames().contains(INPUT)) {
      return NONE;
    }
    Map<String, HostTensor> sample;
    try (CalibrationSource.BatchReader reader = source.open(2)) {
      CalibrationBatch batch = reader.next();
      if (batch == null) {
        return NONE;
      }
      sample = TrailingPadding.cuttable(graph) ? TrailingPadding.cut(batch.inputs()) : batch.inputs();
    } catch (IOException e) {
      throw new ShearsException("cannot read calibration data: " + e.getMessage(), e);
    }
    HostTensor mask = sample.get(INPUT);
    if (mask == null || mask.type() != HostTensor.ElementType.INT64 || mask.shape().length != 2) {
      return NONE;
    }
    Set<String> textInputs = new LinkedHashSet<>();
    sample.forEach((name, t) -> {
      if (java.util.Arrays.equals(t.shape(), mask.shape())) {
        textInputs.add(name);
      }
    });
    Subgraph sub = new Subgraph(graph);
    Set<String> textual = new LinkedHashSet<>();
    for (String a : candidates) {
      if (textInputs.contains(a)) {
        continue;  // a graph input read directly by a linear op: no positions to speak of
      }
      Set<String> reads = sub.inputsOf(sub.nodesFor(Set.of(a), graphInputs));
      if (reads.stream().anyMatch(textInputs::contains)) {
        textual.add(a);
      }
    }
    if (textual.isEmpty()) {
      return NONE;
    }
    Map<String, long[]> shapes = shapes(sub, graph, graphInputs, textual, sample, sessions, env, halfInputs);
    Set<String> masked = new LinkedHashSet<>();
    for (String a : textual) {
      long[] s = shapes.get(a);
      if (s.length == 3 && s[0] == mask.shape()[0] && s[1] == mask.shape()[1]) {
        masked.add(a);
      }
    }
    return masked.isEmpty() ? NONE : new PaddingMask(masked, TrailingPadding.cuttable(graph));
  }

  /** The runtime shapes of {@code activations} on one batch. */
  private static Map<String, long[]> shapes(Subgraph sub, GraphProto graph, Set<String> graphInputs,
      Set<String> activations,
      Map<String, HostTensor> sample, SessionFactory sessions, OrtEnvironment env,
      Map<String, DataType> halfInputs) {
    List<NodeProto> shapeNodes = new ArrayList<>();
    Map<String, String> outputOf = new LinkedHashMap<>();
    int k = 0;
    for (String a : activations) {
      String out = "shears/shape/" + k++;
      shapeNodes.add(NodeProto.newBuilder().setOpType("Shape").setName(out).addInput(a).addOutput(out).build());
      outputOf.put(a, out);
    }
    BitSet nodes = sub.nodesFor(activations, graphInputs);
    Set<String> needed = sub.inputsOf(nodes);
    needed.addAll(activations);
    List<ValueInfoProto> inputs = new ArrayList<>();
    for (ValueInfoProto v : graph.getInputList()) {
      if (needed.contains(v.getName()) && graphInputs.contains(v.getName())) {
        inputs.add(v);
      }
    }
    GraphProto probe = sub.build(nodes, inputs, shapeNodes, List.of(), List.copyOf(outputOf.values()));
    Map<String, OnnxTensor> feeds = new HashMap<>();
    try (SessionFactory.Handle handle = sessions.open(probe, null, false)) {
      for (ValueInfoProto v : inputs) {
        feeds.put(v.getName(), OrtTensors.of(env, sample.get(v.getName()), halfInputs));
      }
      Map<String, long[]> shapes = new HashMap<>();
      try (OrtSession.Result r = handle.session.run(feeds)) {
        for (Map.Entry<String, String> e : outputOf.entrySet()) {
          shapes.put(e.getKey(), OrtTensors.longs((OnnxTensor) r.get(e.getValue()).orElseThrow()));
        }
      }
      return shapes;
    } catch (OrtException e) {
      throw new ShearsException("ONNX Runtime failed on calibration data: "
          + String.valueOf(e.getMessage()).replace('\n', ' '), e);
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }
}
