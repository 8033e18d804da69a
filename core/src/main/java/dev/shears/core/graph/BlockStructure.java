package dev.shears.core.graph;

import dev.shears.api.SubLayer;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Finds transformer blocks from the graph's structure, not its node names.
 *
 * <p>A <em>residual sub-layer</em> is a pair of nodes {@code (P, R)}: {@code R} is the
 * immediate post-dominator of {@code P} (every path out of {@code P} meets again at
 * {@code R}), {@code R} reads an output of {@code P} directly (the skip connection), and a
 * linear node with a constant weight lies between them. That is {@code h → h + f(h)} in any
 * spelling: a plain {@code Add}, ONNX Runtime's {@code SkipLayerNormalization}, pre- or
 * post-norm. A node belongs to the sub-layer whose {@code R} is the first sub-layer end on its
 * post-dominator path, provided {@code P} does not post-dominate it (it is not upstream of the
 * sub-layer's entry) and it reaches no earlier sub-layer end by another route (an attention
 * mask shared by all blocks, or one tower's output read by another's cross-attention, belongs
 * to none).
 *
 * <p>Sub-layers chain into towers: {@code B} follows {@code A} when {@code B}'s entry is the
 * first sub-layer entry on {@code A}'s post-dominator path and {@code A}'s end dominates it.
 * Within a tower a block starts at each self-attention sub-layer (one holding a
 * {@code Softmax} or a fused attention operator, whose weights all read values computed from
 * its entry); the sub-layers after it (cross-attention, MLP) belong to that block. A tower
 * without attention has one block per sub-layer.
 *
 * <p>Node names only label what structure found: a block is named after the numbered path
 * segment its nodes share ({@code /vision_model/encoder/layers.3}) when every block has a
 * distinct such name, and {@code tower0/layers.3} otherwise.
 */
final class BlockStructure {
  private static final Set<String> ATTENTION_OPS = Set.of("Softmax", "Attention", "MultiHeadAttention",
      "GroupQueryAttention", "PackedAttention", "PackedMultiHeadAttention", "DecoderMaskedMultiHeadAttention");

  /**
   * Where a linear node sits.
   *
   * @param block the block's label
   * @param tower the tower's label
   * @param subLayer the kind of residual sub-layer it lies in
   */
  record Location(String block, String tower, SubLayer subLayer) {}

  private final DataFlow flow;
  private final int[] linear;
  private final Map<Integer, Integer> linearIndex = new HashMap<>();
  /** Per node, the linear nodes reachable from it (not counting itself). */
  private final BitSet[] reachLinear;
  /** Sub-layer ends, in topological order, with their entries. */
  private final List<Integer> ends = new ArrayList<>();
  private final Map<Integer, Integer> entryOf = new HashMap<>();
  private final Map<Integer, Integer> endIndex = new HashMap<>();
  private BitSet[] reachEnds;

  private BlockStructure(DataFlow flow, Collection<Integer> linearNodes) {
    this.flow = flow;
    this.linear = linearNodes.stream().mapToInt(Integer::intValue).distinct().sorted().toArray();
    for (int k = 0; k < linear.length; k++) {
      linearIndex.put(linear[k], k);
    }
    reachLinear = new BitSet[flow.size()];
  }

  /**
   * The block of each linear node that lies inside one; nodes outside every block are absent.
   * An empty map means the graph has no residual sub-layers at all.
   */
  static Map<Integer, Location> locate(DataFlow flow, Collection<Integer> linearNodes) {
    return new BlockStructure(flow, linearNodes).run();
  }

  private Map<Integer, Location> run() {
    int[] order = flow.order();
    for (int k = order.length - 1; k >= 0; k--) {
      int i = order[k];
      BitSet r = new BitSet();
      for (int s : flow.successors(i)) {
        r.or(reachLinear[s]);
        Integer li = linearIndex.get(s);
        if (li != null) {
          r.set(li);
        }
      }
      reachLinear[i] = r;
    }
    findSublayers(order);
    if (ends.isEmpty()) {
      return Map.of();
    }
    reachEnds = new BitSet[flow.size()];
    for (int k = order.length - 1; k >= 0; k--) {
      int i = order[k];
      BitSet r = new BitSet();
      for (int s : flow.successors(i)) {
        r.or(reachEnds[s]);
        Integer e = endIndex.get(s);
        if (e != null) {
          r.set(e);
        }
      }
      reachEnds[i] = r;
    }
    Map<Integer, Integer> owner = new HashMap<>();
    for (int l : linear) {
      Integer end = ownerOf(l);
      if (end != null) {
        owner.put(l, end);
      }
    }
    Map<Integer, SubLayer> kinds = classify(owner);
    Map<Integer, Boolean> selfAttention = new HashMap<>();
    kinds.forEach((end, kind) -> selfAttention.put(end, kind == SubLayer.ATTENTION));
    List<List<Integer>> towers = towers();
    // blocks: lists of sub-layer ends, per tower
    Map<Integer, int[]> blockOfEnd = new HashMap<>(); // end -> {tower, block in tower}
    List<List<List<Integer>>> blocks = new ArrayList<>();
    for (int t = 0; t < towers.size(); t++) {
      List<Integer> chain = towers.get(t);
      boolean anyAttention = chain.stream().anyMatch(e -> selfAttention.getOrDefault(e, false));
      List<List<Integer>> towerBlocks = new ArrayList<>();
      for (int e : chain) {
        boolean starts = !anyAttention || selfAttention.getOrDefault(e, false) || towerBlocks.isEmpty()
            || !startedByAttention(towerBlocks.get(towerBlocks.size() - 1), selfAttention);
        if (starts) {
          towerBlocks.add(new ArrayList<>());
        }
        towerBlocks.get(towerBlocks.size() - 1).add(e);
        blockOfEnd.put(e, new int[] {t, towerBlocks.size() - 1});
      }
      blocks.add(towerBlocks);
    }
    return label(owner, blockOfEnd, blocks, kinds);
  }

  private static boolean startedByAttention(List<Integer> block, Map<Integer, Boolean> selfAttention) {
    return selfAttention.getOrDefault(block.get(0), false);
  }

  /** Residual sub-layers: {@code (P, R = ipdom(P))} with a skip edge and a linear node between. */
  private void findSublayers(int[] order) {
    Map<Integer, Integer> entry = new TreeMap<>();
    for (int p : order) {
      int r = flow.postDominator(p);
      // a shared weight's Cast or Identity also "skips" to its second reader: only values
      // computed from the graph's inputs form a residual stream
      if (r == flow.root() || !flow.live(p) || !flow.feedsDirectly(p, r)) {
        continue;
      }
      boolean between = false;
      BitSet reach = reachLinear[p];
      for (int li = reach.nextSetBit(0); li >= 0 && !between; li = reach.nextSetBit(li + 1)) {
        int l = linear[li];
        between = l != r && flow.postDominates(r, l);
      }
      if (between) {
        // several skip sources into one end: the earliest is the sub-layer's entry
        entry.merge(r, p, (a, b) -> flow.position(a) <= flow.position(b) ? a : b);
      }
    }
    List<Integer> sorted = new ArrayList<>(entry.keySet());
    sorted.sort((a, b) -> Integer.compare(flow.position(a), flow.position(b)));
    for (int r : sorted) {
      endIndex.put(r, ends.size());
      ends.add(r);
      entryOf.put(r, entry.get(r));
    }
  }

  /** The sub-layer end a node belongs to, or null. */
  private Integer ownerOf(int node) {
    for (int x = flow.postDominator(node); x != flow.root(); x = flow.postDominator(x)) {
      Integer e = endIndex.get(x);
      if (e == null) {
        continue;
      }
      int p = entryOf.get(x);
      if (p == node || flow.postDominates(p, node)) {
        return null; // upstream of the sub-layer's entry: between blocks, or before the first
      }
      BitSet before = (BitSet) reachEnds[node].clone();
      before.andNot(reachEnds[x]);
      before.clear(e);
      return before.isEmpty() ? x : null;
    }
    return null;
  }

  /** Each sub-layer's kind: self-attention, cross-attention, or neither (feed-forward). */
  private Map<Integer, SubLayer> classify(Map<Integer, Integer> owner) {
    Map<Integer, Boolean> attention = new HashMap<>();
    for (int i = 0; i < flow.size(); i++) {
      NodeProto n = flow.node(i);
      if (ATTENTION_OPS.contains(n.getOpType())) {
        Integer end = ownerOf(i);
        if (end != null) {
          attention.put(end, true);
        }
      }
    }
    // cross-attention: a weight of the sub-layer reads something its entry does not feed
    Set<Integer> cross = new HashSet<>();
    for (Map.Entry<Integer, Integer> e : owner.entrySet()) {
      int p = entryOf.get(e.getValue());
      if (!reachLinear[p].get(linearIndex.get(e.getKey()))) {
        cross.add(e.getValue());
      }
    }
    Map<Integer, SubLayer> kinds = new HashMap<>();
    for (int r : ends) {
      boolean holdsAttention = attention.getOrDefault(r, false);
      kinds.put(r, !holdsAttention ? SubLayer.FEED_FORWARD
          : cross.contains(r) ? SubLayer.CROSS_ATTENTION : SubLayer.ATTENTION);
    }
    return kinds;
  }

  /** Sub-layers linked into towers, each in data-flow order; towers ordered by their first sub-layer. */
  private List<List<Integer>> towers() {
    Map<Integer, List<Integer>> entries = new HashMap<>(); // entry node -> ends entered there
    for (int r : ends) {
      entries.computeIfAbsent(entryOf.get(r), k -> new ArrayList<>()).add(r);
    }
    Map<Integer, Integer> next = new HashMap<>();
    Set<Integer> hasPrevious = new HashSet<>();
    for (int a : ends) {
      for (int x = a; x != flow.root(); x = flow.postDominator(x)) {
        List<Integer> entered = entries.get(x);
        Integer found = null;
        if (entered != null) {
          for (int b : entered) {
            if (b != a && flow.position(b) > flow.position(a) && flow.dominates(a, x)) {
              found = b;
              break;
            }
          }
        }
        if (found != null) {
          if (hasPrevious.add(found)) {
            next.put(a, found);
          }
          break;
        }
        if (x != a && endIndex.containsKey(x)) {
          break; // another sub-layer ends first: not this chain's continuation
        }
      }
    }
    List<List<Integer>> towers = new ArrayList<>();
    for (int r : ends) {
      if (hasPrevious.contains(r)) {
        continue;
      }
      List<Integer> chain = new ArrayList<>();
      for (Integer x = r; x != null; x = next.get(x)) {
        chain.add(x);
      }
      towers.add(chain);
    }
    return towers;
  }

  /** Names blocks and towers, and places every owned linear node. */
  private Map<Integer, Location> label(Map<Integer, Integer> owner, Map<Integer, int[]> blockOfEnd,
      List<List<List<Integer>>> blocks, Map<Integer, SubLayer> kinds) {
    // block key "t/b" -> linear nodes, in node order
    Map<String, List<Integer>> members = new LinkedHashMap<>();
    for (int l : linear) {
      Integer end = owner.get(l);
      if (end != null) {
        int[] tb = blockOfEnd.get(end);
        members.computeIfAbsent(tb[0] + "/" + tb[1], k -> new ArrayList<>()).add(l);
      }
    }
    Map<String, BlockNames.Location> named = new HashMap<>();
    Set<String> seen = new HashSet<>();
    boolean allNamed = true;
    for (Map.Entry<String, List<Integer>> e : members.entrySet()) {
      BlockNames.Location loc = commonName(e.getValue());
      if (loc == null || !seen.add(loc.block())) {
        allNamed = false;
        break;
      }
      named.put(e.getKey(), loc);
    }
    Map<Integer, Location> out = new HashMap<>();
    for (Map.Entry<String, List<Integer>> e : members.entrySet()) {
      String[] tb = e.getKey().split("/");
      String block;
      String tower;
      if (allNamed) {
        block = named.get(e.getKey()).block();
        tower = named.get(e.getKey()).tower();
      } else {
        tower = "tower" + tb[0];
        block = tower + "/layers." + tb[1];
      }
      for (int l : e.getValue()) {
        out.put(l, new Location(block, tower, kinds.get(owner.get(l))));
      }
    }
    return out;
  }

  /** The numbered name most of a block's linear nodes carry, or null when none does. */
  private BlockNames.Location commonName(List<Integer> nodes) {
    Map<String, Integer> votes = new LinkedHashMap<>();
    Map<String, BlockNames.Location> byName = new HashMap<>();
    for (int l : nodes) {
      BlockNames.Location loc = BlockNames.locate(flow.node(l).getName());
      if (loc != null) {
        votes.merge(loc.block(), 1, Integer::sum);
        byName.putIfAbsent(loc.block(), loc);
      }
    }
    String best = null;
    for (Map.Entry<String, Integer> v : votes.entrySet()) {
      if (best == null || v.getValue() > votes.get(best)) {
        best = v.getKey();
      }
    }
    return best == null ? null : byName.get(best);
  }
}
