package dev.shears.core.calibration;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.shears.api.CalibrationLoss;
import dev.shears.api.Evidence;
import dev.shears.api.ZerothOrderSettings;
import dev.shears.core.ShearsException;
import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.evidence.StatisticsEngine;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.StatisticsProbes;
import dev.shears.core.graph.Subgraph;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorStore;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.OperatorSetIdProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import dev.shears.core.progress.Progress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Calibration on ONNX Runtime. Statistics are reduced inside the graph (see
 * {@link StatisticsProbes}); sequential mode runs one sub-graph per block that starts from
 * the previous block's cached input, so the calibration set flows through each block about
 * twice in all (dense for statistics, pruned for the next block) instead of through the
 * whole model once per block.
 */
public final class OrtStatisticsEngine implements StatisticsEngine {
  private final ModelFile model;
  private final CalibrationSource source;
  private final int batchSize;
  private final Device device;
  private final Progress progress;
  private final OrtEnvironment env = OrtSessions.environment();
  private final Set<String> graphInputs = new LinkedHashSet<>();
  private final Map<String, dev.shears.core.onnx.DataType> halfInputs;
  private final int opset;
  private final Map<String, Object> diagnostics = new LinkedHashMap<>();
  private final SessionFactory sessions;
  private final boolean countPadding;
  /** The masked activations among those {@link #maskDecided} holds. */
  private PaddingMask paddingMask = PaddingMask.NONE;
  /** The activations whose masking has been decided, so that each is decided once. */
  private final Set<String> maskDecided = new HashSet<>();
  /** Wall time of statistics runs: building their sessions, and the passes over the data. */
  private long sessionNanos;
  private long passNanos;
  private final Map<String, Double> timings = new LinkedHashMap<>();

  public OrtStatisticsEngine(ModelFile model, CalibrationSource source, int batchSize, Device device,
      Progress progress) {
    this(model, source, batchSize, device, progress, false);
  }

  /**
   * As above.
   *
   * @param countPadding whether statistics also count padded text positions (the reference
   *     implementations do); by default only real tokens count (see {@link PaddingMask})
   */
  public OrtStatisticsEngine(ModelFile model, CalibrationSource source, int batchSize, Device device,
      Progress progress, boolean countPadding) {
    this(model, source, batchSize, device, progress, SessionFactory.INLINE_LIMIT, countPadding);
  }

  /** As above, choosing up to how many weight bytes a session's graph carries them inline. */
  OrtStatisticsEngine(ModelFile model, CalibrationSource source, int batchSize, Device device,
      Progress progress, long inlineLimit, boolean countPadding) {
    this.countPadding = countPadding;
    this.model = model;
    this.source = source;
    this.batchSize = batchSize;
    this.device = device;
    this.progress = progress;
    GraphProto g = model.proto().getGraph();
    this.halfInputs = OrtTensors.halfInputs(g);
    Set<String> inits = new HashSet<>();
    g.getInitializerList().forEach(t -> inits.add(t.getName()));
    for (ValueInfoProto v : g.getInputList()) {
      if (!inits.contains(v.getName())) {
        graphInputs.add(v.getName());
      }
    }
    int version = 0;
    for (OperatorSetIdProto o : model.proto().getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        version = (int) o.getVersion();
      }
    }
    this.opset = version;
    this.sessions = new SessionFactory(env, model, device, inlineLimit);
  }

  @Override
  public Map<String, LayerStatistics> oneShot(List<PrunableTensor> tensors, Set<Evidence> kinds) {
    GraphProto graph = model.proto().getGraph();
    StatisticsProbes probes = probes(tensors);
    for (PrunableTensor t : tensors) {
      probes.add(t, kinds, null);
    }
    Subgraph sub = new Subgraph(graph);
    BitSet nodes = sub.nodesFor(probes.activations(), graphInputs);
    List<ValueInfoProto> inputs = graphInputInfos(graph, withMask(probes, sub.inputsOf(nodes)));
    GraphProto statsGraph = sub.build(nodes, inputs, probes.nodes(), probes.initializers(), probes.outputs());
    StatisticsAccumulator acc = new StatisticsAccumulator();
    runOver(statsGraph, null, probes, List.of(), List.of(), acc, "Statistics");
    return acc.result(probes.probes());
  }

  /**
   * Empty probes for {@code tensors}, masking padded text positions unless the user asked to
   * count them. Each activation's masking is decided once, the first time a pass reads it,
   * so that sequential stages and one-shot passes agree.
   */
  private StatisticsProbes probes(List<PrunableTensor> tensors) {
    if (countPadding) {
      return new StatisticsProbes(opset);
    }
    Set<String> undecided = new LinkedHashSet<>();
    for (PrunableTensor t : tensors) {
      t.consumers().stream().filter(c -> !c.activationTransposed()).map(c -> c.activation())
          .filter(a -> !maskDecided.contains(a)).forEach(undecided::add);
    }
    if (!undecided.isEmpty()) {
      paddingMask = paddingMask.with(PaddingMask.detect(model.proto().getGraph(), graphInputs, undecided, source,
          sessions, env, halfInputs));
      maskDecided.addAll(undecided);
      diagnostics.put("paddingMasked", !paddingMask.isEmpty());
    }
    return new StatisticsProbes(opset, PaddingMask.INPUT, paddingMask::masks);
  }

  /** {@code needed}, plus the mask input when the probes read it. */
  private static Set<String> withMask(StatisticsProbes probes, Set<String> needed) {
    if (probes.readsMask() && !needed.contains(PaddingMask.INPUT)) {
      Set<String> all = new LinkedHashSet<>(needed);
      all.add(PaddingMask.INPUT);
      return all;
    }
    return needed;
  }

  /**
   * Cached values fed to a pass: each value the reader gives is fed under every name
   * {@code as} gives it that the graph takes.
   */
  private record Feed(TensorSpill.Reader reader, List<UnaryOperator<String>> as) {}

  /** Values a pass caches: {@code names}, read from the result under {@code from}'s name for each. */
  private record Keep(TensorSpill into, List<String> names, UnaryOperator<String> from) {}

  /** Runs a graph over the calibration set, feeding graph inputs (and cached values), accumulating probes. */
  private void runOver(GraphProto graph, TensorStore overrides, StatisticsProbes probes, List<Feed> cached,
      List<Keep> keeps, StatisticsAccumulator acc, String task) {
    Set<String> wantedInputs = new HashSet<>();
    graph.getInputList().forEach(v -> wantedInputs.add(v.getName()));
    int batches = (source.sampleCount() + batchSize - 1) / batchSize;
    long start = System.nanoTime();
    try (SessionFactory.Handle handle = sessions.open(graph, overrides, false);
        CalibrationSource.BatchReader reader = source.open(batchSize);
        Progress.Task bar = progress.start(task, batches)) {
      long opened = System.nanoTime();
      sessionNanos += opened - start;
      CalibrationBatch batch;
      while ((batch = reader.next()) != null) {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        List<OnnxTensor> owned = new ArrayList<>();
        try {
          // with padding masked, positions that are padding in every row of the batch add
          // nothing to any statistic: cut them, and the pass is as long as the longest text
          Map<String, HostTensor> inputs = paddingMask.trims()
              ? TrailingPadding.cut(batch.inputs()) : batch.inputs();
          for (Map.Entry<String, HostTensor> e : inputs.entrySet()) {
            if (wantedInputs.contains(e.getKey())) {
              OnnxTensor t = OrtTensors.of(env, e.getValue(), halfInputs);
              owned.add(t);
              feeds.put(e.getKey(), t);
            }
          }
          for (Feed f : cached) {
            for (Map.Entry<String, OnnxTensor> e : f.reader().next(env).entrySet()) {
              owned.add(e.getValue());
              for (UnaryOperator<String> as : f.as()) {
                String name = as.apply(e.getKey());
                if (wantedInputs.contains(name)) {
                  feeds.put(name, e.getValue());
                }
              }
            }
          }
          try (OrtSession.Result result = handle.session.run(feeds)) {
            collect(result, probes, acc);
            for (Keep k : keeps) {
              List<OnnxTensor> kept = new ArrayList<>();
              for (String n : k.names()) {
                kept.add((OnnxTensor) result.get(k.from().apply(n)).orElseThrow());
              }
              k.into().append(k.names(), kept);
            }
          }
        } finally {
          owned.forEach(OnnxTensor::close);
        }
        bar.step();
      }
      passNanos += System.nanoTime() - opened;
    } catch (OrtException e) {
      throw new ShearsException("ONNX Runtime failed on calibration data: "
          + String.valueOf(e.getMessage()).replace('\n', ' '), e);
    } catch (IOException e) {
      throw new ShearsException("cannot read calibration data: " + e.getMessage(), e);
    }
  }

  private static void collect(OrtSession.Result result, StatisticsProbes probes, StatisticsAccumulator acc) {
    Set<String> done = new HashSet<>();
    for (StatisticsProbes.Probe p : probes.probes()) {
      if (done.add(p.rows())) {
        acc.addRows(p.rows(), OrtTensors.longs(tensor(result, p.rows()))[0]);
      }
      for (String output : new String[] {p.squareSums(), p.gram(), p.absSums(), p.crossGram()}) {
        if (output != null && done.add(output)) {
          acc.add(output, OrtTensors.floats(tensor(result, output)));
        }
      }
      if (p.absMax() != null && done.add(p.absMax())) {
        acc.max(p.absMax(), OrtTensors.floats(tensor(result, p.absMax())));
      }
    }
  }

  private static OnnxTensor tensor(OrtSession.Result r, String name) {
    OnnxValue v = r.get(name).orElseThrow(() -> new IllegalStateException("missing output " + name));
    return (OnnxTensor) v;
  }

  private static List<ValueInfoProto> graphInputInfos(GraphProto graph, Set<String> names) {
    List<ValueInfoProto> out = new ArrayList<>();
    for (ValueInfoProto v : graph.getInputList()) {
      if (names.contains(v.getName())) {
        out.add(v);
      }
    }
    return out;
  }

  @Override
  public SequentialPass sequential(Set<Evidence> kinds, TensorStore prunedWeights,
      List<List<PrunableTensor>> stages) {
    return new Sequential(kinds, prunedWeights, stages);
  }

  @Override
  public Map<String, Double> blockImportance(Map<String, List<PrunableTensor>> blocks, ZerothOrderSettings settings,
      CalibrationLoss loss, long seed) {
    ZerothOrderEstimator estimator = new ZerothOrderEstimator(model, model.proto().getGraph(),
        graphInputs, sessions, progress, env);
    ZerothOrderEstimator.Result r = estimator.estimate(blocks, settings, loss, source, seed);
    Map<String, Object> zo = new LinkedHashMap<>();
    zo.put("queries", r.queries());
    zo.put("forwardEquivalentsPerQuery", Math.round(r.forwardEquivalentsPerQuery() * 1000) / 1000.0);
    zo.put("tensorScores", r.tensorScores());
    diagnostics.put("zerothOrder", zo);
    r.seconds().forEach((k, v) -> timings.put("zeroth-order importance / " + k, v));
    return r.importance();
  }

  @Override
  public BlockLosses blockLosses(Map<String, List<PrunableTensor>> blocks, ZerothOrderSettings settings,
      CalibrationLoss loss, long seed) {
    GraphProto graph = model.proto().getGraph();
    int size = settings.batchSize() > 0 ? settings.batchSize() : loss.preferredBatchSize();
    List<Map<String, HostTensor>> batches =
        DownstreamLoss.readBatches(graph, source, settings.samples(), size, loss, seed);
    return new PrunedBlockLosses(new DownstreamLoss(model, graph, graphInputs, sessions, env, blocks, batches, loss),
        progress, diagnostics, timings);
  }

  @Override
  public Map<String, Double> timingsSeconds() {
    Map<String, Double> t = new LinkedHashMap<>(timings);
    t.put("statistics / session set-up", Math.round(sessionNanos / 1e6) / 1e3);
    t.put("statistics / passes", Math.round(passNanos / 1e6) / 1e3);
    return t;
  }

  @Override
  public Map<String, Object> diagnostics() {
    diagnostics.put("device", device.toString());
    diagnostics.put("calibration", source.describe());
    return diagnostics;
  }

  @Override
  public String device() {
    return device.toString();
  }

  @Override
  public void close() {
    // sessions are closed after each pass; the environment is shared and lives with the JVM
    sessions.close();
  }

  @Override
  public int sampleCount() {
    return source.sampleCount();
  }

  @Override
  public HeldOutSplit holdOut(int heldOut, CalibrationLoss loss, long seed) {
    int fit = source.sampleCount() - heldOut;
    OrtStatisticsEngine first = new OrtStatisticsEngine(model, SampleRange.of(source, 0, fit), batchSize, device,
        progress, sessions.inlineLimit(), countPadding);
    HeldOutEvaluator last = new HeldOutEvaluator(model, new SessionFactory(env, model, device, sessions.inlineLimit()),
        env, SampleRange.of(source, fit, heldOut), loss, seed);
    return new HeldOutSplit(first, last);
  }

  /**
   * Stage by stage: the sub-graph for stage {@code s} starts from the values cached by stage
   * {@code s - 1}, runs the earlier stages' pruned weights and stage {@code s}'s dense ones,
   * returns stage {@code s}'s statistics and caches what stage {@code s + 1} needs.
   *
   * <p>What is cached is decided by data flow alone, never by node names: the values that
   * depend on no weight of stage {@code s} or later but are read by a node that does. Such a
   * value is final once the earlier stages are pruned, and everything the next stage needs is
   * computable from these values and the graph inputs. A node that belongs to a block only by
   * structure (a fused {@code BiasGelu}, an unnamed {@code Identity}) is therefore recomputed
   * with the block's pruned weights like any other.
   */
  private final class Sequential implements SequentialPass {
    private final Set<Evidence> kinds;
    private final TensorStore pruned;
    private final List<List<PrunableTensor>> stages;
    private final DenseTwin twin;
    private int step;
    private TensorSpill cache;
    /**
     * What the dense model computes where {@link #cache} holds the pruned model's values;
     * null while the two are the same (before any stage is pruned) or not wanted.
     */
    private TensorSpill denseCache;
    /** Whether the dense model's inputs are still followed (see {@link DenseTwin#copyable}). */
    private boolean twinAvailable;
    private GraphProto graph;

    Sequential(Set<Evidence> kinds, TensorStore pruned, List<List<PrunableTensor>> stages) {
      this.kinds = kinds;
      this.pruned = pruned;
      this.stages = List.copyOf(stages);
      this.graph = model.proto().getGraph();
      this.twin = kinds.contains(Evidence.INPUT_CROSS_GRAM) ? new DenseTwin(graph, graphInputs) : null;
      this.twinAvailable = twin != null;
    }

    @Override
    public Map<String, LayerStatistics> statistics(List<PrunableTensor> block) {
      if (step >= stages.size() || !stages.get(step).equals(block)) {
        throw new IllegalStateException("sequential statistics asked out of stage order");
      }
      Set<String> blocks = new LinkedHashSet<>();
      block.forEach(t -> blocks.add(t.block()));
      String name = blocks.size() == 1 ? blocks.iterator().next()
          : blocks.iterator().next() + " + " + (blocks.size() - 1) + " more";
      Set<String> laterWeights = new HashSet<>();
      for (List<PrunableTensor> stage : stages.subList(step, stages.size())) {
        stage.forEach(t -> laterWeights.add(t.name()));
      }
      // the last stage feeds no one: nothing to cache
      Set<String> entry = step == stages.size() - 1 ? Set.of()
          : new Subgraph(graph).downstream(laterWeights, graphInputs).frontier();
      step++;
      Set<String> given = new LinkedHashSet<>(graphInputs);
      Map<String, TensorInfo> cachedInfos = cache == null ? Map.of() : cache.infos();
      given.addAll(cachedInfos.keySet());
      Subgraph sub = new Subgraph(graph);
      StatisticsProbes probes = probes(stages.stream().flatMap(List::stream).toList());
      // the dense model's inputs to this stage differ from the pruned model's once a stage
      // before it is pruned; then a renamed copy of the stage computes them beside it
      boolean twinned = twinAvailable && cache != null;
      if (twinned) {
        probes.readDenseFrom(twin::name);
      }
      for (PrunableTensor t : block) {
        probes.add(t, kinds, null);
      }
      Set<String> wanted = new LinkedHashSet<>(probes.activations());
      wanted.addAll(entry);
      BitSet nodes = sub.nodesFor(wanted, given);
      if (twinned && !DenseTwin.copyable(graph, nodes)) {
        // from here on, each stage's statistics see the pruned model's inputs only
        twinned = false;
        twinAvailable = false;
        if (denseCache != null) {
          denseCache.close();
          denseCache = null;
        }
        diagnostics.put("denseTargets", "not available from " + name + ": its sub-graph holds control-flow nodes");
        probes = probes(stages.stream().flatMap(List::stream).toList());
        for (PrunableTensor t : block) {
          probes.add(t, kinds, null);
        }
      }
      Set<String> needed = new LinkedHashSet<>(withMask(probes, sub.inputsOf(nodes)));
      // a wanted value may itself be given (cached): then no node computes it
      for (String w : wanted) {
        if (given.contains(w)) {
          needed.add(w);
        }
      }
      List<ValueInfoProto> inputs = new ArrayList<>(graphInputInfos(graph, needed));
      for (Map.Entry<String, TensorInfo> e : cachedInfos.entrySet()) {
        if (needed.contains(e.getKey())) {
          inputs.add(OrtTensors.cachedInput(e.getKey(), e.getValue().type, e.getValue().getShape().length));
          if (twinned) {
            inputs.add(OrtTensors.cachedInput(twin.name(e.getKey()), e.getValue().type,
                e.getValue().getShape().length));
          }
        }
      }
      List<String> keep = new ArrayList<>(entry);
      List<String> outputs = new ArrayList<>(probes.outputs());
      outputs.addAll(keep);
      List<NodeProto> extra = new ArrayList<>();
      List<TensorProto> extraInits = new ArrayList<>();
      if (twinned) {
        Set<String> prunedSoFar = new HashSet<>();
        stages.subList(0, step - 1).forEach(stage -> stage.forEach(t -> prunedSoFar.add(t.name())));
        DenseTwin.Copy copy = twin.copy(graph, nodes, prunedSoFar);
        extra.addAll(copy.nodes());
        extraInits.addAll(copy.initializers());
        keep.forEach(k -> outputs.add(twin.name(k)));
      }
      extra.addAll(probes.nodes());
      extraInits.addAll(probes.initializers());
      GraphProto stepGraph = sub.build(nodes, inputs, extra, extraInits, dedupe(outputs));
      StatisticsAccumulator acc = new StatisticsAccumulator();
      TensorSpill next = new TensorSpill();
      TensorSpill nextDense = twinned ? new TensorSpill() : null;
      List<Keep> keeps = new ArrayList<>(List.of(new Keep(next, keep, UnaryOperator.identity())));
      if (twinned) {
        keeps.add(new Keep(nextDense, keep, twin::name));
      }
      try {
        if (cache == null) {
          runOver(stepGraph, pruned, probes, List.of(), keeps, acc, "Statistics " + name);
        } else if (!twinned) {
          try (TensorSpill.Reader reader = cache.reader()) {
            runOver(stepGraph, pruned, probes, List.of(new Feed(reader, List.of(UnaryOperator.identity()))), keeps,
                acc, "Statistics " + name);
          }
        } else if (denseCache == null) {
          // the cache was made before any stage was pruned: it is the dense model's too
          try (TensorSpill.Reader reader = cache.reader()) {
            runOver(stepGraph, pruned, probes,
                List.of(new Feed(reader, List.of(UnaryOperator.identity(), twin::name))), keeps, acc,
                "Statistics " + name);
          }
        } else {
          try (TensorSpill.Reader reader = cache.reader(); TensorSpill.Reader dense = denseCache.reader()) {
            runOver(stepGraph, pruned, probes, List.of(new Feed(reader, List.of(UnaryOperator.identity())),
                new Feed(dense, List.of(twin::name))), keeps, acc, "Statistics " + name);
          }
        }
      } catch (RuntimeException e) {
        next.close();
        if (nextDense != null) {
          nextDense.close();
        }
        throw e;
      }
      if (cache != null) {
        cache.close();
      }
      cache = next;
      if (twinned) {
        if (denseCache != null) {
          denseCache.close();
        }
        denseCache = nextDense;
      }
      return acc.result(probes.probes());
    }

    /** {@code names} without repeats: a cached value the probes also read is one output. */
    private List<String> dedupe(List<String> names) {
      return new ArrayList<>(new LinkedHashSet<>(names));
    }

    @Override
    public void close() {
      if (cache != null) {
        cache.close();
        cache = null;
      }
      if (denseCache != null) {
        denseCache.close();
        denseCache = null;
      }
    }
  }

}
