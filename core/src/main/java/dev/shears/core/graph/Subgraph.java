package dev.shears.core.graph;

import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The part of a graph needed to compute some values from others: the nodes on the way back
 * from the wanted values, stopping at values that are given (graph inputs or cached
 * activations). This is what lets a pass recompute only what changed: the blocks after a
 * cut, not the whole model.
 */
public final class Subgraph {
  private final GraphProto graph;
  private final Map<String, Integer> producer = new HashMap<>();
  private final Set<String> initializers = new HashSet<>();

  public Subgraph(GraphProto graph) {
    this.graph = graph;
    for (int i = 0; i < graph.getNodeCount(); i++) {
      for (String o : graph.getNode(i).getOutputList()) {
        producer.put(o, i);
      }
    }
    for (TensorProto t : graph.getInitializerList()) {
      initializers.add(t.getName());
    }
  }

  /**
   * The nodes needed to compute {@code wanted} when {@code given} values are available,
   * as indices in graph order.
   */
  public BitSet nodesFor(Set<String> wanted, Set<String> given) {
    BitSet nodes = new BitSet(graph.getNodeCount());
    Deque<String> todo = new ArrayDeque<>(wanted);
    Set<String> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      String v = todo.pop();
      if (!seen.add(v) || given.contains(v) || initializers.contains(v)) {
        continue;
      }
      Integer p = producer.get(v);
      if (p == null || nodes.get(p)) {
        continue; // a graph input, or already taken
      }
      nodes.set(p);
      NodeProto n = graph.getNode(p);
      todo.addAll(n.getInputList());
      todo.addAll(outerScopeReads(n));
    }
    return nodes;
  }

  /**
   * What some values influence.
   *
   * @param nodes the nodes that read them, directly or through other such nodes
   * @param affected the seeds and every value those nodes produce
   * @param frontier the values those nodes read that the seeds do not influence, initializers
   *     and the given values left out: with them (and the given values), the nodes can be
   *     recomputed after the seeds change
   */
  public record Downstream(BitSet nodes, Set<String> affected, Set<String> frontier) {}

  /** What {@code seeds} influence; {@code given} values (graph inputs) are never in the frontier. */
  public Downstream downstream(Set<String> seeds, Set<String> given) {
    Set<String> affected = new HashSet<>(seeds);
    BitSet nodes = new BitSet();
    // ONNX lists nodes in topological order
    for (int i = 0; i < graph.getNodeCount(); i++) {
      for (String in : DataFlow.reads(graph.getNode(i))) {
        if (affected.contains(in)) {
          nodes.set(i);
          for (String o : graph.getNode(i).getOutputList()) {
            if (!o.isEmpty()) {
              affected.add(o);
            }
          }
          break;
        }
      }
    }
    Set<String> frontier = new LinkedHashSet<>();
    for (int i = nodes.nextSetBit(0); i >= 0; i = nodes.nextSetBit(i + 1)) {
      for (String in : DataFlow.reads(graph.getNode(i))) {
        if (!affected.contains(in) && !initializers.contains(in) && !given.contains(in)) {
          frontier.add(in);
        }
      }
    }
    return new Downstream(nodes, affected, frontier);
  }

  /** The values the chosen nodes read that no chosen node produces (and are not initializers). */
  public Set<String> inputsOf(BitSet nodes) {
    Set<String> produced = new HashSet<>();
    Set<String> read = new LinkedHashSet<>();
    for (int i = nodes.nextSetBit(0); i >= 0; i = nodes.nextSetBit(i + 1)) {
      NodeProto n = graph.getNode(i);
      read.addAll(n.getInputList());
      read.addAll(outerScopeReads(n));
      produced.addAll(n.getOutputList());
    }
    read.removeAll(produced);
    read.removeAll(initializers);
    read.remove("");
    return read;
  }

  /**
   * Builds a graph of the chosen nodes whose inputs are {@code inputs} (in that order) and
   * whose outputs are {@code outputs}; extra nodes (reductions) are appended after them.
   */
  public GraphProto build(BitSet nodes, List<ValueInfoProto> inputs, List<NodeProto> extraNodes,
      List<TensorProto> extraInitializers, List<String> outputs) {
    GraphProto.Builder b = GraphProto.newBuilder().setName(graph.getName() + "-shears");
    Set<String> used = new HashSet<>();
    for (int i = nodes.nextSetBit(0); i >= 0; i = nodes.nextSetBit(i + 1)) {
      NodeProto n = graph.getNode(i);
      b.addNode(n);
      used.addAll(n.getInputList());
      used.addAll(outerScopeReads(n));
    }
    for (NodeProto n : extraNodes) {
      b.addNode(n);
    }
    for (TensorProto t : graph.getInitializerList()) {
      if (used.contains(t.getName())) {
        b.addInitializer(t);
      }
    }
    b.addAllInitializer(extraInitializers);
    b.addAllInput(inputs);
    for (String o : outputs) {
      b.addOutput(ValueInfoProto.newBuilder().setName(o));
    }
    return b.build();
  }

  /** Values a control-flow node's subgraphs read from the enclosing graph. */
  static List<String> outerScopeReads(NodeProto n) {
    List<String> reads = new ArrayList<>();
    for (var a : n.getAttributeList()) {
      if (a.hasG()) {
        collectReads(a.getG(), reads);
      }
      for (GraphProto g : a.getGraphsList()) {
        collectReads(g, reads);
      }
    }
    return reads;
  }

  private static void collectReads(GraphProto g, List<String> reads) {
    Set<String> local = new HashSet<>();
    g.getInputList().forEach(v -> local.add(v.getName()));
    g.getInitializerList().forEach(t -> local.add(t.getName()));
    for (NodeProto n : g.getNodeList()) {
      for (String in : n.getInputList()) {
        if (!local.contains(in) && !in.isEmpty()) {
          reads.add(in);
        }
      }
      reads.addAll(outerScopeReads(n));
      local.addAll(n.getOutputList());
    }
  }

  public GraphProto graph() {
    return graph;
  }
}
