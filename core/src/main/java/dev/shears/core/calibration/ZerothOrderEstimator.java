package dev.shears.core.calibration;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.shears.api.CalibrationLoss;
import dev.shears.api.FloatTensor;
import dev.shears.api.ZerothOrderSettings;
import dev.shears.core.ShearsException;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorValues;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.TensorShapeProto;
import dev.shears.core.onnx.proto.Onnx.TypeProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
import dev.shears.core.progress.Progress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Zeroth-order block importance (ALGORITHM.md §1a): for every prunable tensor and
 * calibration batch, the loss at {@code W ± eps·z}; {@code |L+ − L−| / (2 eps)} accumulates
 * into the tensor's score, and a block's importance is the sum over its tensors.
 *
 * <p>Cost is what matters here (2 × batches × tensors forward passes), so each block gets one
 * session whose graph holds only the nodes downstream of the block's weights, with those
 * weights as graph inputs: a query feeds the perturbed tensor and recomputes nothing
 * upstream. Everything upstream (the block's input, the other tower's embedding) comes from
 * one dense pass per batch, held in memory: the estimate uses few samples (32 by default).
 */
final class ZerothOrderEstimator {
  private final ModelFile model;
  private final GraphProto graph;
  private final Set<String> graphInputs;
  private final SessionFactory sessions;
  private final Progress progress;
  private final OrtEnvironment env;
  private final Map<String, DataType> halfInputs;

  /**
   * What an estimate found and cost.
   *
   * @param importance block name to importance
   * @param tensorScores tensor name to its accumulated score
   * @param queries loss evaluations made
   * @param forwardEquivalentsPerQuery mean time of a query on the first batch over the time of a
   *     plain optimized forward pass on it
   * @param seconds wall time by part: the dense pass (with its yardstick), building the block
   *     sessions, and the queries
   */
  record Result(Map<String, Double> importance, Map<String, Double> tensorScores, long queries,
      double forwardEquivalentsPerQuery, Map<String, Double> seconds) {}

  ZerothOrderEstimator(ModelFile model, GraphProto graph, Set<String> graphInputs, SessionFactory sessions,
      Progress progress, OrtEnvironment env) {
    this.model = model;
    this.graph = graph;
    this.graphInputs = graphInputs;
    this.sessions = sessions;
    this.progress = progress;
    this.env = env;
    this.halfInputs = OrtTensors.halfInputs(graph);
  }

  /** One block's slice of the graph: what its weights influence, and what that slice reads. */
  private record Slice(String block, List<PrunableTensor> tensors, BitSet nodes, Set<String> frontier,
      List<String> outputs) {}

  /** One calibration batch with the dense pass's results. */
  private record DenseBatch(Map<String, HostTensor> inputs, Map<String, CachedTensor> frontier,
      Map<String, FloatTensor> outputs) {}

  Result estimate(Map<String, List<PrunableTensor>> blocks, ZerothOrderSettings settings, CalibrationLoss loss,
      CalibrationSource source, long seed) {
    int batchSize = settings.batchSize() > 0 ? settings.batchSize() : loss.preferredBatchSize();
    List<Map<String, HostTensor>> batches = readBatches(source, settings.samples(), batchSize, loss, seed);
    Set<String> modelOutputs = new LinkedHashSet<>();
    graph.getOutputList().forEach(v -> modelOutputs.add(v.getName()));
    List<Slice> slices = new ArrayList<>();
    Set<String> allFrontier = new LinkedHashSet<>();
    for (Map.Entry<String, List<PrunableTensor>> e : blocks.entrySet()) {
      Slice s = slice(e.getKey(), e.getValue(), modelOutputs);
      slices.add(s);
      allFrontier.addAll(s.frontier());
    }
    List<DenseBatch> dense = new ArrayList<>();
    long denseStart = System.nanoTime();
    double forwardSeconds = densePass(batches, allFrontier, modelOutputs, dense);
    long denseNanos = System.nanoTime() - denseStart;
    long sessionNanos = 0;

    Map<String, Double> tensorScores = new LinkedHashMap<>();
    Map<String, Double> importance = new LinkedHashMap<>();
    long total = 0;
    for (Slice s : slices) {
      total += 2L * s.tensors().size() * dense.size() * settings.perturbations(); // queries, as reported
    }
    long queries = 0;
    long queryNanos = 0;
    long firstBatchNanos = 0;
    long firstBatchQueries = 0;
    int tensorIndex = 0;
    try (Progress.Task bar = progress.start("Zeroth-order queries", total);
        Perturbed perturbed = new Perturbed()) {
      for (Slice s : slices) {
        double blockScore = 0;
        if (s.outputs().isEmpty()) {
          progress.note("warning: block " + s.block() + " does not reach any model output; importance 0");
          for (PrunableTensor t : s.tensors()) {
            tensorScores.put(t.name(), 0.0);
          }
          importance.put(s.block(), 0.0);
          tensorIndex += s.tensors().size();
          continue;
        }
        long opening = System.nanoTime();
        GraphProto sliceGraph = sliceGraph(s, dense.get(0));
        try (SessionFactory.Handle handle = sessions.open(sliceGraph, null, true)) {
          sessionNanos += System.nanoTime() - opening;
          OrtSession session = handle.session;
          Map<String, float[]> original = new LinkedHashMap<>();
          Map<String, OnnxTensor> fixed = new LinkedHashMap<>();
          try {
            for (PrunableTensor t : s.tensors()) {
              TensorProto proto = model.proto().getGraph().getInitializer(t.initializer());
              float[] w = model.readFloats(proto);
              original.put(t.name(), w);
              fixed.put(t.name(), weightTensor(t, w));
            }
            double[] scores = new double[s.tensors().size()];
            // batch-major: a batch's upstream values become ONNX Runtime tensors once and serve
            // every query on it; each tensor's score still sums its batches in order
            for (int b = 0; b < dense.size(); b++) {
              DenseBatch batch = dense.get(b);
              Map<String, OnnxTensor> feeds = new LinkedHashMap<>(fixed);
              List<OnnxTensor> owned = new ArrayList<>();
              try {
                Set<String> wanted = session.getInputNames();
                for (String f : s.frontier()) {
                  if (wanted.contains(f) && !feeds.containsKey(f)) {
                    OnnxTensor v = batch.frontier().get(f).toOnnx(env);
                    owned.add(v);
                    feeds.put(f, v);
                  }
                }
                for (Map.Entry<String, HostTensor> e : batch.inputs().entrySet()) {
                  if (wanted.contains(e.getKey()) && !feeds.containsKey(e.getKey())) {
                    OnnxTensor v = OrtTensors.of(env, e.getValue(), halfInputs);
                    owned.add(v);
                    feeds.put(e.getKey(), v);
                  }
                }
                for (int ti = 0; ti < s.tensors().size(); ti++) {
                  PrunableTensor t = s.tensors().get(ti);
                  float[] w = original.get(t.name());
                  for (int k = 0; k < settings.perturbations(); k++) {
                    SplittableRandom rng = new SplittableRandom(mix(seed, tensorIndex + ti, b, k));
                    perturbed.fill(w, (float) settings.eps(), rng);
                    long start = System.nanoTime();
                    double lossPlus;
                    double lossMinus;
                    try (OnnxTensor p = perturbed.plus(t); OnnxTensor m = perturbed.minus(t)) {
                      lossPlus = query(session, s, t, p, feeds, batch, loss);
                      lossMinus = query(session, s, t, m, feeds, batch, loss);
                    }
                    long spent = System.nanoTime() - start;
                    queryNanos += spent;
                    queries += 2;
                    if (b == 0) {
                      firstBatchNanos += spent;
                      firstBatchQueries += 2;
                    }
                    scores[ti] += Math.abs(lossPlus - lossMinus) / (2 * settings.eps()) / settings.perturbations();
                    bar.step(2);
                  }
                }
              } finally {
                owned.forEach(OnnxTensor::close);
              }
            }
            for (int ti = 0; ti < s.tensors().size(); ti++) {
              tensorScores.put(s.tensors().get(ti).name(), scores[ti]);
              blockScore += scores[ti];
            }
            tensorIndex += s.tensors().size();
          } finally {
            fixed.values().forEach(OnnxTensor::close);
          }
        } catch (OrtException e) {
          throw new ShearsException("ONNX Runtime failed during zeroth-order queries on block " + s.block() + ": "
              + String.valueOf(e.getMessage()).replace('\n', ' '), e);
        }
        importance.put(s.block(), blockScore);
      }
    }
    double perQuery = firstBatchQueries == 0 ? 0 : firstBatchNanos / 1e9 / firstBatchQueries;
    Map<String, Double> seconds = new LinkedHashMap<>();
    seconds.put("dense pass", Math.round(denseNanos / 1e6) / 1e3);
    seconds.put("session set-up", Math.round(sessionNanos / 1e6) / 1e3);
    seconds.put("queries", Math.round(queryNanos / 1e6) / 1e3);
    return new Result(importance, tensorScores, queries, forwardSeconds > 0 ? perQuery / forwardSeconds : 0,
        seconds);
  }

  /** A seed per (tensor, batch, perturbation), so results do not depend on evaluation order. */
  private static long mix(long seed, int tensor, int batch, int k) {
    long h = seed * 0x9E3779B97F4A7C15L;
    h ^= (tensor + 1) * 0xBF58476D1CE4E5B9L;
    h ^= (batch + 1L) * 0x94D049BB133111EBL;
    h ^= (k + 1L) * 0xD6E8FEB86659FD93L;
    return h;
  }

  private double query(OrtSession session, Slice s, PrunableTensor t, OnnxTensor perturbed,
      Map<String, OnnxTensor> feeds, DenseBatch batch, CalibrationLoss loss) throws OrtException {
    OnnxTensor original = feeds.get(t.name());
    try {
      feeds.put(t.name(), perturbed);
      Map<String, FloatTensor> outputs = new LinkedHashMap<>(batch.outputs());
      try (OrtSession.Result r = session.run(feeds)) {
        for (String o : s.outputs()) {
          outputs.put(o, floatTensor(r.get(o).orElseThrow()));
        }
      }
      try {
        return loss.loss(new BatchRun(batch.inputs(), outputs), new BatchRun(batch.inputs(), batch.outputs()));
      } catch (dev.shears.core.PluginFailure e) {
        throw e.at("on block " + s.block() + " (perturbing tensor " + t.name() + ")");
      }
    } finally {
      feeds.put(t.name(), original);
    }
  }

  /**
   * The two perturbed copies {@code W ± eps·z} of the tensor being queried, in native memory
   * reused from query to query: ONNX Runtime reads a direct buffer in place, so a query
   * allocates and copies nothing (a fresh buffer per query cost more than the run itself on
   * small models). Half-precision tensors are encoded into the same buffers.
   */
  private final class Perturbed implements AutoCloseable {
    private ByteBuffer plus;
    private ByteBuffer minus;
    private float[] plusValues = new float[0];
    private float[] minusValues = new float[0];
    private int count;

    /** Draws z and writes both directions, always from the original values. */
    void fill(float[] w, float eps, SplittableRandom rng) {
      count = w.length;
      if (plusValues.length < count) {
        plusValues = new float[count];
        minusValues = new float[count];
      }
      for (int i = 0; i < count; i++) {
        float step = eps * (float) rng.nextGaussian();
        plusValues[i] = w[i] + step;
        minusValues[i] = w[i] - step;
      }
    }

    OnnxTensor plus(PrunableTensor t) throws OrtException {
      plus = encode(plus, plusValues, t);
      return tensor(plus, t);
    }

    OnnxTensor minus(PrunableTensor t) throws OrtException {
      minus = encode(minus, minusValues, t);
      return tensor(minus, t);
    }

    private ByteBuffer encode(ByteBuffer into, float[] values, PrunableTensor t) {
      int bytes = count * t.dataType().bytes();
      if (into == null || into.capacity() < bytes) {
        dev.shears.core.onnx.Buffers.release(into);
        into = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
      }
      into.clear();
      if (t.dataType() == DataType.FLOAT) {
        into.asFloatBuffer().put(values, 0, count);
      } else {
        ByteBuffer encoded = TensorValues.encodeBuffer(t.dataType(), java.util.Arrays.copyOf(values, count));
        into.put(encoded.order(ByteOrder.LITTLE_ENDIAN).duplicate());
      }
      into.position(0).limit(bytes);
      return into;
    }

    private OnnxTensor tensor(ByteBuffer data, PrunableTensor t) throws OrtException {
      OnnxJavaType type = switch (t.dataType()) {
        case FLOAT16 -> OnnxJavaType.FLOAT16;
        case BFLOAT16 -> OnnxJavaType.BFLOAT16;
        default -> OnnxJavaType.FLOAT;
      };
      return OnnxTensor.createTensor(env, data.duplicate().order(ByteOrder.nativeOrder()), t.storedShape(), type);
    }

    @Override
    public void close() {
      dev.shears.core.onnx.Buffers.release(plus);
      dev.shears.core.onnx.Buffers.release(minus);
    }
  }

  private OnnxTensor weightTensor(PrunableTensor t, float[] stored) throws OrtException {
    long[] shape = t.storedShape();
    if (t.dataType() == DataType.FLOAT) {
      return OnnxTensor.createTensor(env, FloatBuffer.wrap(stored), shape);
    }
    ByteBuffer bytes = ByteBuffer.allocateDirect(stored.length * 2).order(ByteOrder.nativeOrder());
    bytes.put(TensorValues.encode(t.dataType(), stored).asReadOnlyByteBuffer()).flip();
    OnnxJavaType type = t.dataType() == DataType.FLOAT16 ? OnnxJavaType.FLOAT16 : OnnxJavaType.BFLOAT16;
    return OnnxTensor.createTensor(env, bytes, shape, type);
  }

  private static FloatTensor floatTensor(OnnxValue v) {
    OnnxTensor t = (OnnxTensor) v;
    return new FloatTensor(t.getInfo().getShape(), OrtTensors.floats(t));
  }

  /** The nodes downstream of a block's weights, what they read from outside, and the outputs they reach. */
  private Slice slice(String block, List<PrunableTensor> tensors, Set<String> modelOutputs) {
    Set<String> weights = new HashSet<>();
    for (PrunableTensor t : tensors) {
      weights.add(t.name());
    }
    dev.shears.core.graph.Subgraph.Downstream d = new dev.shears.core.graph.Subgraph(graph)
        .downstream(weights, graphInputs);
    List<String> outputs = new ArrayList<>();
    for (String o : modelOutputs) {
      if (d.affected().contains(o)) {
        outputs.add(o);
      }
    }
    return new Slice(block, tensors, d.nodes(), d.frontier(), outputs);
  }

  private GraphProto sliceGraph(Slice s, DenseBatch example) {
    Set<String> weights = new HashSet<>();
    for (PrunableTensor t : s.tensors()) {
      weights.add(t.name());
    }
    GraphProto.Builder b = GraphProto.newBuilder().setName(graph.getName() + "-zo");
    Set<String> used = new HashSet<>();
    for (int i = s.nodes().nextSetBit(0); i >= 0; i = s.nodes().nextSetBit(i + 1)) {
      b.addNode(graph.getNode(i));
      used.addAll(dev.shears.core.graph.DataFlow.reads(graph.getNode(i)));
    }
    for (TensorProto t : graph.getInitializerList()) {
      if (used.contains(t.getName()) && !weights.contains(t.getName())) {
        b.addInitializer(t);
      }
    }
    for (PrunableTensor t : s.tensors()) {
      TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
      for (long d : t.storedShape()) {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
      }
      b.addInput(ValueInfoProto.newBuilder().setName(t.name()).setType(TypeProto.newBuilder()
          .setTensorType(TypeProto.Tensor.newBuilder().setElemType(t.dataType().code()).setShape(shape))));
    }
    for (String f : s.frontier()) {
      if (used.contains(f)) {
        CachedTensor c = example.frontier().get(f);
        b.addInput(OrtTensors.cachedInput(f, c.type(), c.shape().length));
      }
    }
    for (ValueInfoProto v : graph.getInputList()) {
      if (used.contains(v.getName()) && graphInputs.contains(v.getName())) {
        b.addInput(v);
      }
    }
    for (String o : s.outputs()) {
      b.addOutput(ValueInfoProto.newBuilder().setName(o));
    }
    return b.build();
  }

  /**
   * Runs the dense model once per batch, keeping the frontier values and the outputs; returns
   * the time of a plain optimized forward pass on the first batch (the yardstick that batch's
   * queries are measured against).
   */
  private double densePass(List<Map<String, HostTensor>> batches, Set<String> frontier, Set<String> modelOutputs,
      List<DenseBatch> out) {
    GraphProto.Builder g = graph.toBuilder();
    for (String f : frontier) {
      if (!modelOutputs.contains(f)) {
        g.addOutput(ValueInfoProto.newBuilder().setName(f));
      }
    }
    long plainNanos = 0;
    try (SessionFactory.Handle withFrontier = sessions.open(g.build(), null, false);
        SessionFactory.Handle plain = sessions.open(graph, null, true)) {
      OrtSession session = withFrontier.session;
      OrtSession plainSession = plain.session;
      for (Map<String, HostTensor> inputs : batches) {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
          for (Map.Entry<String, HostTensor> e : inputs.entrySet()) {
            if (session.getInputNames().contains(e.getKey())) {
              feeds.put(e.getKey(), OrtTensors.of(env, e.getValue(), halfInputs));
            }
          }
          Map<String, CachedTensor> cached = new HashMap<>();
          Map<String, FloatTensor> outputs = new LinkedHashMap<>();
          try (OrtSession.Result r = session.run(feeds)) {
            for (String f : frontier) {
              cached.put(f, CachedTensor.copyOf((OnnxTensor) r.get(f).orElseThrow()));
            }
            for (String o : modelOutputs) {
              OnnxTensor t = (OnnxTensor) r.get(o).orElseThrow();
              if (t.getInfo().type == OnnxJavaType.FLOAT) {
                outputs.put(o, floatTensor(t));
              }
            }
          }
          if (out.isEmpty()) {
            // the yardstick is timed on the first batch only, against the queries on that batch:
            // a plain pass over every batch would cost more than the measurement is worth
            try (OrtSession.Result warmUp = plainSession.run(feeds)) {
              // the first run of a session pays for allocations; keep it out of the yardstick
            }
            long start = System.nanoTime();
            try (OrtSession.Result r = plainSession.run(feeds)) {
              plainNanos = System.nanoTime() - start;
            }
          }
          out.add(new DenseBatch(inputs, cached, outputs));
        } finally {
          feeds.values().forEach(OnnxTensor::close);
        }
      }
    } catch (OrtException e) {
      throw new ShearsException("ONNX Runtime failed on calibration data: "
          + String.valueOf(e.getMessage()).replace('\n', ' '), e);
    }
    return plainNanos / 1e9;
  }

  /** The first {@code samples} samples in batches; for pair losses each batch gains its mismatched twin. */
  private List<Map<String, HostTensor>> readBatches(CalibrationSource source, int samples, int batchSize,
      CalibrationLoss loss, long seed) {
    // trailing padding may only be cut when the graph accepts shorter sequences
    boolean dynamicSequence = graph.getInputList().stream()
        .filter(v -> v.getName().equals("attention_mask"))
        .anyMatch(v -> v.getType().getTensorType().getShape().getDimCount() == 2
            && !v.getType().getTensorType().getShape().getDim(1).hasDimValue());
    List<Map<String, HostTensor>> batches = new ArrayList<>();
    int taken = 0;
    try (CalibrationSource.BatchReader reader = source.open(batchSize)) {
      CalibrationBatch b;
      while (taken < samples && (b = reader.next()) != null) {
        Map<String, HostTensor> inputs = b.inputs();
        if (taken + b.size() > samples) {
          inputs = PairedBatches.firstRows(inputs, samples - taken);
        }
        taken += inputs.values().iterator().next().samples();
        if (dynamicSequence) {
          inputs = PairedBatches.trimPadding(inputs);
        }
        batches.add(loss.needsMismatchedPairs() ? PairedBatches.withMismatched(inputs, seed + batches.size()) : inputs);
      }
    } catch (IOException e) {
      throw new ShearsException("cannot read calibration data: " + e.getMessage(), e);
    }
    if (batches.isEmpty()) {
      throw new ShearsException("no calibration samples for the zeroth-order estimate");
    }
    return batches;
  }
}
