package dev.shears.core.calibration;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.shears.api.CalibrationLoss;
import dev.shears.api.FloatTensor;
import dev.shears.core.ShearsException;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorValues;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import dev.shears.core.onnx.proto.Onnx.TensorShapeProto;
import dev.shears.core.onnx.proto.Onnx.TypeProto;
import dev.shears.core.onnx.proto.Onnx.ValueInfoProto;
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

/**
 * The calibration loss of the model with some of one block's weights replaced, recomputing
 * only the graph downstream of that block's weights. Shared by the zeroth-order estimate
 * (ALGORITHM.md §1a: one tensor perturbed at a time) and the pruned-loss measurements (§1c:
 * every tensor of a block pruned at once).
 *
 * <p>One dense pass per batch, made when this is created, keeps what the slices read from
 * upstream (the block's input, the other tower's embedding) and the model's outputs, in
 * memory: the measurements use few samples (32 by default). Each block then gets one session
 * whose graph holds only the nodes downstream of its weights, with those weights as graph
 * inputs.
 */
final class DownstreamLoss {
  private final ModelFile model;
  private final GraphProto graph;
  private final Set<String> graphInputs;
  private final SessionFactory sessions;
  private final OrtEnvironment env;
  private final Map<String, DataType> halfInputs;
  private final CalibrationLoss loss;
  private final Map<String, Slice> slices = new LinkedHashMap<>();
  private final List<DenseBatch> dense = new ArrayList<>();
  private final double[] denseLosses;
  private final double forwardSeconds;
  private final long denseNanos;

  /** One block's slice of the graph: what its weights influence, and what that slice reads. */
  record Slice(String block, List<PrunableTensor> tensors, BitSet nodes, Set<String> frontier,
      List<String> outputs) {}

  /** One calibration batch with the dense pass's results. */
  private record DenseBatch(Map<String, HostTensor> inputs, Map<String, CachedTensor> frontier,
      Map<String, FloatTensor> outputs) {}

  /**
   * Slices the graph for every block and runs the dense pass.
   *
   * @param batches the calibration batches, from {@link #readBatches}
   */
  DownstreamLoss(ModelFile model, GraphProto graph, Set<String> graphInputs, SessionFactory sessions,
      OrtEnvironment env, Map<String, List<PrunableTensor>> blocks, List<Map<String, HostTensor>> batches,
      CalibrationLoss loss) {
    this.model = model;
    this.graph = graph;
    this.graphInputs = graphInputs;
    this.sessions = sessions;
    this.env = env;
    this.halfInputs = OrtTensors.halfInputs(graph);
    this.loss = loss;
    Set<String> modelOutputs = new LinkedHashSet<>();
    graph.getOutputList().forEach(v -> modelOutputs.add(v.getName()));
    Set<String> allFrontier = new LinkedHashSet<>();
    for (Map.Entry<String, List<PrunableTensor>> e : blocks.entrySet()) {
      Slice s = slice(e.getKey(), e.getValue(), modelOutputs);
      slices.put(e.getKey(), s);
      allFrontier.addAll(s.frontier());
    }
    long start = System.nanoTime();
    this.forwardSeconds = densePass(batches, allFrontier, modelOutputs);
    this.denseNanos = System.nanoTime() - start;
    this.denseLosses = new double[dense.size()];
    java.util.Arrays.fill(denseLosses, Double.NaN);
  }

  /** Every block's slice, in the order the blocks were given. */
  List<Slice> slices() {
    return List.copyOf(slices.values());
  }

  /** The slice of one block. */
  Slice slice(String block) {
    Slice s = slices.get(block);
    if (s == null) {
      throw new IllegalArgumentException("unknown block " + block);
    }
    return s;
  }

  /** The number of calibration batches. */
  int batches() {
    return dense.size();
  }

  /** The dense model's loss on batch {@code b} (computed once, when first asked). */
  double denseLoss(int b) {
    if (Double.isNaN(denseLosses[b])) {
      DenseBatch d = dense.get(b);
      BatchRun run = new BatchRun(d.inputs(), d.outputs());
      try {
        denseLosses[b] = loss.loss(run, run);
      } catch (dev.shears.core.PluginFailure e) {
        throw e.at("on the dense model");
      }
    }
    return denseLosses[b];
  }

  /** The time of a plain optimized forward pass over the first batch, in seconds. */
  double forwardSeconds() {
    return forwardSeconds;
  }

  /** The wall time of the dense pass (with its yardstick), in nanoseconds. */
  long denseNanos() {
    return denseNanos;
  }

  /**
   * Opens the session of a block's slice, with the block's original weights as its default
   * feeds. A slice that reaches no model output cannot be opened (its loss never changes).
   */
  Open open(Slice s) {
    if (s.outputs().isEmpty()) {
      throw new IllegalStateException("block " + s.block() + " reaches no model output");
    }
    return new Open(s);
  }

  /** A block's slice as an open session. */
  final class Open implements AutoCloseable {
    private final Slice slice;
    private final SessionFactory.Handle handle;
    private final Map<String, float[]> original = new LinkedHashMap<>();
    private final Map<String, OnnxTensor> fixed = new LinkedHashMap<>();
    private final long openNanos;

    private Open(Slice s) {
      this.slice = s;
      long start = System.nanoTime();
      this.handle = sessions.open(sliceGraph(s, dense.get(0)), null, true);
      try {
        for (PrunableTensor t : s.tensors()) {
          TensorProto proto = model.proto().getGraph().getInitializer(t.initializer());
          float[] w = model.readFloats(proto);
          original.put(t.name(), w);
          fixed.put(t.name(), weightTensor(t, w));
        }
      } catch (OrtException e) {
        close();
        throw failed(e);
      } catch (RuntimeException e) {
        close();
        throw e;
      }
      this.openNanos = System.nanoTime() - start;
    }

    /** The slice this session runs. */
    Slice slice() {
      return slice;
    }

    /** The wall time it took to build the session, in nanoseconds. */
    long openNanos() {
      return openNanos;
    }

    /** A tensor's original values, in its stored layout. */
    float[] original(PrunableTensor t) {
      return original.get(t.name());
    }

    /**
     * The feeds of batch {@code b}: its upstream values become ONNX Runtime tensors once and
     * serve every query on it.
     */
    Feeds feeds(int b) {
      return new Feeds(b);
    }

    @Override
    public void close() {
      fixed.values().forEach(OnnxTensor::close);
      handle.close();
    }

    /** One batch's feeds for the open slice. */
    final class Feeds implements AutoCloseable {
      private final int batch;
      private final Map<String, OnnxTensor> feeds = new LinkedHashMap<>(fixed);
      private final List<OnnxTensor> owned = new ArrayList<>();

      private Feeds(int b) {
        this.batch = b;
        DenseBatch d = dense.get(b);
        try {
          Set<String> wanted = handle.session.getInputNames();
          for (String f : slice.frontier()) {
            if (wanted.contains(f) && !feeds.containsKey(f)) {
              OnnxTensor v = d.frontier().get(f).toOnnx(env);
              owned.add(v);
              feeds.put(f, v);
            }
          }
          for (Map.Entry<String, HostTensor> e : d.inputs().entrySet()) {
            if (wanted.contains(e.getKey()) && !feeds.containsKey(e.getKey())) {
              OnnxTensor v = OrtTensors.of(env, e.getValue(), halfInputs);
              owned.add(v);
              feeds.put(e.getKey(), v);
            }
          }
        } catch (OrtException e) {
          close();
          throw failed(e);
        } catch (RuntimeException e) {
          close();
          throw e;
        }
      }

      /**
       * The loss on this batch with some of the block's tensors replaced (by name; the rest
       * keep their original values).
       *
       * @param what what is being queried, for a loss's failure message
       */
      double loss(Map<String, OnnxTensor> replaced, String what) {
        Map<String, OnnxTensor> run = new LinkedHashMap<>(feeds);
        for (Map.Entry<String, OnnxTensor> e : replaced.entrySet()) {
          if (!fixed.containsKey(e.getKey())) {
            throw new IllegalArgumentException(e.getKey() + " is not a weight of block " + slice.block());
          }
          run.put(e.getKey(), e.getValue());
        }
        DenseBatch d = dense.get(batch);
        Map<String, FloatTensor> outputs = new LinkedHashMap<>(d.outputs());
        try (OrtSession.Result r = handle.session.run(run)) {
          for (String o : slice.outputs()) {
            outputs.put(o, floatTensor(r.get(o).orElseThrow()));
          }
        } catch (OrtException e) {
          throw failed(e);
        }
        try {
          return loss.loss(new BatchRun(d.inputs(), outputs), new BatchRun(d.inputs(), d.outputs()));
        } catch (dev.shears.core.PluginFailure e) {
          throw e.at("on block " + slice.block() + " (" + what + ")");
        }
      }

      @Override
      public void close() {
        owned.forEach(OnnxTensor::close);
      }
    }

    private ShearsException failed(OrtException e) {
      return new ShearsException("ONNX Runtime failed during loss queries on block " + slice.block() + ": "
          + String.valueOf(e.getMessage()).replace('\n', ' '), e);
    }
  }

  /** A weight from values in its stored layout, as the graph input of a slice. */
  OnnxTensor weightTensor(PrunableTensor t, float[] stored) throws OrtException {
    long[] shape = t.storedShape();
    if (t.dataType() == DataType.FLOAT) {
      return OnnxTensor.createTensor(env, FloatBuffer.wrap(stored), shape);
    }
    ByteBuffer bytes = ByteBuffer.allocateDirect(stored.length * 2).order(ByteOrder.nativeOrder());
    bytes.put(TensorValues.encode(t.dataType(), stored).asReadOnlyByteBuffer()).flip();
    return OnnxTensor.createTensor(env, bytes, shape, javaType(t));
  }

  /** A weight from the bytes it stores (layout and element type of the file, little-endian). */
  OnnxTensor storedTensor(PrunableTensor t, ByteBuffer stored) throws OrtException {
    ByteBuffer src = stored.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    src.position(0);
    if (t.dataType() == DataType.FLOAT) {
      float[] values = new float[src.remaining() / Float.BYTES];
      src.asFloatBuffer().get(values);
      return OnnxTensor.createTensor(env, FloatBuffer.wrap(values), t.storedShape());
    }
    ByteBuffer direct = ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.nativeOrder());
    // half-precision values: 16-bit words, reordered for the platform
    while (src.remaining() >= 2) {
      direct.putShort(src.getShort());
    }
    direct.flip();
    return OnnxTensor.createTensor(env, direct, t.storedShape(), javaType(t));
  }

  private static OnnxJavaType javaType(PrunableTensor t) {
    return switch (t.dataType()) {
      case FLOAT16 -> OnnxJavaType.FLOAT16;
      case BFLOAT16 -> OnnxJavaType.BFLOAT16;
      default -> OnnxJavaType.FLOAT;
    };
  }

  private static FloatTensor floatTensor(OnnxValue v) {
    OnnxTensor t = (OnnxTensor) v;
    return FloatTensor.of(t.getInfo().getShape(), OrtTensors.floats(t));
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
  private double densePass(List<Map<String, HostTensor>> batches, Set<String> frontier, Set<String> modelOutputs) {
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
          if (dense.isEmpty()) {
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
          dense.add(new DenseBatch(inputs, cached, outputs));
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
  static List<Map<String, HostTensor>> readBatches(GraphProto graph, CalibrationSource source, int samples,
      int batchSize, CalibrationLoss loss, long seed) {
    // trailing padding may only be cut when the graph accepts shorter sequences
    boolean dynamicSequence = TrailingPadding.cuttable(graph);
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
          inputs = TrailingPadding.cut(inputs);
        }
        batches.add(loss.needsMismatchedPairs() ? PairedBatches.withMismatched(inputs, seed + batches.size()) : inputs);
      }
    } catch (IOException e) {
      throw new ShearsException("cannot read calibration data: " + e.getMessage(), e);
    }
    if (batches.isEmpty()) {
      throw new ShearsException("no calibration samples for the loss measurements");
    }
    return batches;
  }
}
