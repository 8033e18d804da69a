package dev.shears.core.graph;

import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A graph's nodes as a data-flow DAG, indexed once: who produces and who reads each value,
 * the edges between nodes, a topological order, and the dominator and post-dominator trees
 * that structural block detection ({@link BlockStructure}) reasons with. Node names play no
 * part in anything computed here.
 *
 * <p>The post-dominator tree is rooted at a virtual sink that every node without a reader
 * flows into; the dominator tree at a virtual source that flows into every node reading
 * only graph inputs and initializers, counting only paths that start at a graph input. A graph output that other nodes also read does not
 * count as an exit, so models exporting every hidden state keep their block structure.
 */
public final class DataFlow {
  private final GraphProto graph;
  private final int n;
  private final Map<String, Integer> producer = new HashMap<>();
  private final Map<String, Integer> initializers = new HashMap<>();
  private final Map<String, List<Integer>> readers = new HashMap<>();
  private final List<int[]> successors;
  private final List<int[]> predecessors;
  private final int[] order;
  private final int[] position;
  private final boolean[] live;
  private final Tree postDominators;
  private final Tree dominators;

  public DataFlow(GraphProto graph) {
    this.graph = graph;
    this.n = graph.getNodeCount();
    for (int i = 0; i < n; i++) {
      for (String o : graph.getNode(i).getOutputList()) {
        if (!o.isEmpty()) {
          producer.put(o, i);
        }
      }
    }
    for (int i = 0; i < graph.getInitializerCount(); i++) {
      initializers.put(graph.getInitializer(i).getName(), i);
    }
    List<Set<Integer>> succ = new ArrayList<>();
    List<Set<Integer>> pred = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      succ.add(new java.util.LinkedHashSet<>());
      pred.add(new java.util.LinkedHashSet<>());
    }
    for (int i = 0; i < n; i++) {
      for (String in : reads(graph.getNode(i))) {
        List<Integer> r = readers.computeIfAbsent(in, k -> new ArrayList<>());
        if (r.isEmpty() || r.get(r.size() - 1) != i) {
          r.add(i);
        }
        Integer p = producer.get(in);
        if (p != null && p != i) {
          succ.get(p).add(i);
          pred.get(i).add(p);
        }
      }
    }
    successors = toArrays(succ);
    predecessors = toArrays(pred);
    order = topologicalOrder();
    position = new int[n];
    for (int k = 0; k < n; k++) {
      position[order[k]] = k;
    }
    // data-dependent nodes: those a graph input reaches. Constant subexpressions (a Constant
    // node's epsilon in a decomposed LayerNorm) are no route around a block boundary.
    Set<String> inputs = new HashSet<>();
    graph.getInputList().forEach(v -> inputs.add(v.getName()));
    inputs.removeAll(initializers.keySet());
    live = new boolean[n];
    for (int k = 0; k < n; k++) {
      int i = order[k];
      for (String in : reads(graph.getNode(i))) {
        Integer p = producer.get(in);
        live[i] |= p == null ? inputs.contains(in) : live[p];
      }
    }
    postDominators = buildTree(true);
    dominators = buildTree(false);
  }

  /** Every value a node reads: its inputs and what the graphs in its attributes read from outside. */
  public static List<String> reads(NodeProto node) {
    List<String> reads = new ArrayList<>();
    for (String in : node.getInputList()) {
      if (!in.isEmpty()) {
        reads.add(in);
      }
    }
    reads.addAll(Subgraph.outerScopeReads(node));
    return reads;
  }

  private static List<int[]> toArrays(List<Set<Integer>> sets) {
    List<int[]> out = new ArrayList<>(sets.size());
    for (Set<Integer> s : sets) {
      out.add(s.stream().mapToInt(Integer::intValue).toArray());
    }
    return out;
  }

  /** Kahn's algorithm, taking nodes in file order where free; a cycle keeps the file order. */
  private int[] topologicalOrder() {
    int[] indegree = new int[n];
    for (int i = 0; i < n; i++) {
      indegree[i] = predecessors.get(i).length;
    }
    java.util.PriorityQueue<Integer> ready = new java.util.PriorityQueue<>();
    for (int i = 0; i < n; i++) {
      if (indegree[i] == 0) {
        ready.add(i);
      }
    }
    int[] out = new int[n];
    int k = 0;
    while (!ready.isEmpty()) {
      int i = ready.poll();
      out[k++] = i;
      for (int s : successors.get(i)) {
        if (--indegree[s] == 0) {
          ready.add(s);
        }
      }
    }
    if (k < n) {
      for (int i = 0; i < n; i++) {
        out[i] = i;
      }
    }
    return out;
  }

  /**
   * The (post-)dominator tree over the nodes plus one virtual root (index {@code n}): on a DAG
   * a node's immediate (post-)dominator is the nearest common ancestor of its successors
   * (predecessors), taken in reverse (forward) topological order.
   */
  private Tree buildTree(boolean post) {
    int root = n;
    int[] parent = new int[n + 1];
    int[] depth = new int[n + 1];
    parent[root] = -1;
    for (int k = 0; k < n; k++) {
      int i = post ? order[n - 1 - k] : order[k];
      int[] next = post ? successors.get(i) : predecessors.get(i);
      int d = -1;
      for (int s : next) {
        if (!post && !live[s]) {
          continue;
        }
        d = d < 0 ? s : commonAncestor(d, s, parent, depth, root);
      }
      if (d < 0) {
        d = root;
      }
      parent[i] = d;
      depth[i] = depth[d] + 1;
    }
    return new Tree(parent, depth, root);
  }

  private static int commonAncestor(int a, int b, int[] parent, int[] depth, int root) {
    while (a != b) {
      if (depth[a] >= depth[b]) {
        a = a == root ? root : parent[a];
      } else {
        b = b == root ? root : parent[b];
      }
    }
    return a;
  }

  /** A tree over the nodes and one virtual root, with Euler intervals for ancestor tests. */
  static final class Tree {
    final int[] parent;
    final int[] depth;
    final int root;
    private final int[] enter;
    private final int[] exit;

    Tree(int[] parent, int[] depth, int root) {
      this.parent = parent;
      this.depth = depth;
      this.root = root;
      int size = parent.length;
      List<List<Integer>> children = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        children.add(new ArrayList<>());
      }
      for (int i = 0; i < size; i++) {
        if (i != root) {
          children.get(parent[i]).add(i);
        }
      }
      enter = new int[size];
      exit = new int[size];
      int clock = 0;
      Deque<int[]> stack = new ArrayDeque<>();
      stack.push(new int[] {root, 0});
      enter[root] = clock++;
      while (!stack.isEmpty()) {
        int[] top = stack.peek();
        List<Integer> kids = children.get(top[0]);
        if (top[1] < kids.size()) {
          int c = kids.get(top[1]++);
          enter[c] = clock++;
          stack.push(new int[] {c, 0});
        } else {
          exit[top[0]] = clock++;
          stack.pop();
        }
      }
    }

    /** Whether {@code a} is {@code b} or an ancestor of it. */
    boolean covers(int a, int b) {
      return enter[a] <= enter[b] && exit[b] <= exit[a];
    }
  }

  public int size() {
    return n;
  }

  public NodeProto node(int i) {
    return graph.getNode(i);
  }

  /** The node producing a value, or null for graph inputs, initializers and unknown names. */
  public Integer producer(String value) {
    return producer.get(value);
  }

  /** The index of an initializer, or null. */
  public Integer initializer(String name) {
    return initializers.get(name);
  }

  public TensorProto initializerProto(int index) {
    return graph.getInitializer(index);
  }

  int[] successors(int node) {
    return successors.get(node);
  }

  /** Nodes in a topological order (file order where the file's order is valid). */
  int[] order() {
    return order;
  }

  /** A node's place in {@link #order()}. */
  int position(int node) {
    return position[node];
  }

  /** Whether a graph input reaches the node (it is no constant subexpression). */
  boolean live(int node) {
    return live[node];
  }

  /** The virtual sink and source's index in the trees. */
  int root() {
    return n;
  }

  /** The immediate post-dominator of a node, or {@link #root()} for the virtual sink. */
  int postDominator(int node) {
    return postDominators.parent[node];
  }

  /** Whether every path from {@code node} to the graph's exits passes through {@code by}. */
  boolean postDominates(int by, int node) {
    return postDominators.covers(by, node);
  }

  /** Whether every path from the graph's sources to {@code node} passes through {@code by}. */
  boolean dominates(int by, int node) {
    return dominators.covers(by, node);
  }

  /** Whether {@code to} reads an output of {@code from}. */
  boolean feedsDirectly(int from, int to) {
    for (int s : successors.get(from)) {
      if (s == to) {
        return true;
      }
    }
    return false;
  }

  /** Readers of a value, by node index, in file order. */
  public List<Integer> readers(String value) {
    return readers.getOrDefault(value, List.of());
  }

}
