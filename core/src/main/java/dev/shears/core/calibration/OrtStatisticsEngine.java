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
import dev.shears.core.onnx.proto.Onnx.OperatorSetIdProto;
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
    runOver(statsGraph, null, probes, List.of(), null, null, acc, "Statistics");
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

  /** Runs a graph over the calibration set, feeding graph inputs (and cached values), accumulating probes. */
  private void runOver(GraphProto graph, TensorStore overrides, StatisticsProbes probes, List<String> keep,
      TensorSpill.Reader cached, TensorSpill spillOut, StatisticsAccumulator acc, String task) {
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
        try {
          // with padding masked, positions that are padding in every row of the batch add
          // nothing to any statistic: cut them, and the pass is as long as the longest text
          Map<String, HostTensor> inputs = paddingMask.trims()
              ? TrailingPadding.cut(batch.inputs()) : batch.inputs();
          for (Map.Entry<String, HostTensor> e : inputs.entrySet()) {
            if (wantedInputs.contains(e.getKey())) {
              feeds.put(e.getKey(), OrtTensors.of(env, e.getValue(), halfInputs));
            }
          }
          if (cached != null) {
            for (Map.Entry<String, OnnxTensor> e : cached.next(env).entrySet()) {
              if (wantedInputs.contains(e.getKey())) {
                feeds.put(e.getKey(), e.getValue());
              } else {
                e.getValue().close();
              }
            }
          }
          try (OrtSession.Result result = handle.session.run(feeds)) {
            collect(result, probes, acc);
            if (spillOut != null) {
              List<OnnxTensor> kept = new ArrayList<>();
              for (String k : keep) {
                kept.add((OnnxTensor) result.get(k).orElseThrow());
              }
              spillOut.append(keep, kept);
            }
          }
        } finally {
          feeds.values().forEach(OnnxTensor::close);
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
      for (String output : new String[] {p.squareSums(), p.gram(), p.absSums()}) {
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
  public HeldOutSplit holdOut(int heldOut, boolean pruneWithAll, CalibrationLoss loss, long seed) {
    int fit = source.sampleCount() - heldOut;
    int pruneWith = pruneWithAll ? source.sampleCount() : fit;
    OrtStatisticsEngine first = new OrtStatisticsEngine(model, SampleRange.of(source, 0, pruneWith), batchSize, device,
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
    private int step;
    private TensorSpill cache;
    private GraphProto graph;

    Sequential(Set<Evidence> kinds, TensorStore pruned, List<List<PrunableTensor>> stages) {
      this.kinds = kinds;
      this.pruned = pruned;
      this.stages = List.copyOf(stages);
      this.graph = model.proto().getGraph();
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
      StatisticsProbes probes = probes(stages.stream().flatMap(List::stream).toList());
      for (PrunableTensor t : block) {
        probes.add(t, kinds, null);
      }
      Set<String> given = new LinkedHashSet<>(graphInputs);
      Map<String, TensorInfo> cachedInfos = cache == null ? Map.of() : cache.infos();
      given.addAll(cachedInfos.keySet());
      Set<String> wanted = new LinkedHashSet<>(probes.activations());
      wanted.addAll(entry);
      Subgraph sub = new Subgraph(graph);
      BitSet nodes = sub.nodesFor(wanted, given);
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
        }
      }
      List<String> keep = new ArrayList<>(entry);
      List<String> outputs = new ArrayList<>(probes.outputs());
      outputs.addAll(keep);
      GraphProto stepGraph = sub.build(nodes, inputs, probes.nodes(), probes.initializers(), outputs);
      StatisticsAccumulator acc = new StatisticsAccumulator();
      TensorSpill next = new TensorSpill();
      try {
        if (cache == null) {
          runOver(stepGraph, pruned, probes, keep, null, next, acc, "Statistics " + name);
        } else {
          try (TensorSpill.Reader reader = cache.reader()) {
            runOver(stepGraph, pruned, probes, keep, reader, next, acc, "Statistics " + name);
          }
        }
      } catch (RuntimeException e) {
        next.close();
        throw e;
      }
      if (cache != null) {
        cache.close();
      }
      cache = next;
      return acc.result(probes.probes());
    }

    @Override
    public void close() {
      if (cache != null) {
        cache.close();
        cache = null;
      }
    }
  }

}
