package dev.shears.core.calibration;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnsafeByteOperations;
import dev.shears.core.ShearsException;
import dev.shears.core.onnx.Buffers;
import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorShapes;
import dev.shears.core.onnx.TensorStore;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.onnx.proto.Onnx.ModelProto;
import dev.shears.core.onnx.proto.Onnx.NodeProto;
import dev.shears.core.onnx.proto.Onnx.StringStringEntryProto;
import dev.shears.core.onnx.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds ONNX Runtime sessions for the graph variants Shears derives from a model (statistics
 * graphs, per-block slices), with weights taken from the model file or, once pruned, from a
 * {@link TensorStore}.
 *
 * <p>Small graphs are serialized with their weights inline. Past {@link #INLINE_LIMIT}, the
 * weights are handed to ONNX Runtime as pre-allocated initializers over the memory-mapped
 * file instead: nothing is copied onto the Java heap and the graph stays far below
 * protobuf's 2 GB limit, whatever the model's size. ONNX Runtime cannot constant-fold such
 * initializers, so those sessions run without graph optimizations.
 */
final class SessionFactory {
  /** Weight bytes up to which a session's graph carries its weights inline. */
  static final long INLINE_LIMIT = 512L << 20;
  private static final int SMALL = 1024;
  /**
   * In an inline graph, tensors from this size up that no MatMul, Gemm or Conv reads (an
   * embedding table) are still handed over as mapped initializers: copying them into the
   * serialized graph made up most of a session's set-up, and only weights that ONNX Runtime
   * pre-packs gain from being inline.
   */
  private static final long MAPPED_IN_INLINE = 1L << 20;
  private static final Set<String> PACKING_OPS = Set.of("MatMul", "Gemm", "Conv", "ConvTranspose");
  /** Weight matrices up to this many elements make operators too small to split across threads. */
  static final long SMALL_OPERATORS = 1L << 17;

  private final OrtEnvironment env;
  private final ModelFile model;
  private final Device device;
  private final long inlineLimit;
  private ByteBuffer scratch;
  private final int threads;

  SessionFactory(OrtEnvironment env, ModelFile model, Device device, long inlineLimit) {
    this.env = env;
    this.model = model;
    this.device = device;
    this.inlineLimit = inlineLimit;
    this.threads = intraOpThreads(model.proto().getGraph(), Runtime.getRuntime().availableProcessors());
  }

  /**
   * Threads per operator: one when the model's largest MatMul/Gemm/Conv weight is small (a
   * 128-wide CLIP): its operators are so small that handing halves to a second thread costs
   * more than it saves (tinyclip's one-shot statistics pass: 0.134 s on 2 threads, 0.079 s on
   * 1); otherwise, or when no such weight is an initializer, every core.
   */
  static int intraOpThreads(GraphProto graph, int cores) {
    Set<String> weights = packableWeights(graph);
    long largest = 0;
    for (TensorProto t : graph.getInitializerList()) {
      if (weights.contains(t.getName())) {
        long n = 1;
        for (long d : t.getDimsList()) {
          n *= Math.max(0, d);
        }
        largest = Math.max(largest, n);
      }
    }
    return largest > 0 && largest <= SMALL_OPERATORS ? 1 : cores;
  }

  /** Up to how many weight bytes a session's graph carries them inline. */
  long inlineLimit() {
    return inlineLimit;
  }

  /** A session and everything that must outlive it. */
  static final class Handle implements AutoCloseable {
    final OrtSession session;
    private final OrtSession.SessionOptions options;
    private final List<OnnxTensor> initializers;
    private final List<ByteBuffer> mapped;

    private Handle(OrtSession session, OrtSession.SessionOptions options, List<OnnxTensor> initializers,
        List<ByteBuffer> mapped) {
      this.session = session;
      this.options = options;
      this.initializers = initializers;
      this.mapped = mapped;
    }

    @Override
    public void close() {
      try {
        session.close();
      } catch (OrtException e) {
        throw new ShearsException("cannot close an ONNX Runtime session: " + e.getMessage(), e);
      } finally {
        initializers.forEach(OnnxTensor::close);
        options.close();
        mapped.forEach(Buffers::release);
      }
    }
  }

  /**
   * A session over {@code graph} (whose initializers are the model's own tensor protos), with
   * the values in {@code overrides} replacing the model's where present.
   */
  Handle open(GraphProto graph, TensorStore overrides, boolean optimize) {
    long bytes = 0;
    for (TensorProto t : graph.getInitializerList()) {
      bytes += Math.max(0, TensorShapes.byteSize(model.path(), t));
    }
    boolean inline = bytes <= inlineLimit;
    List<OnnxTensor> owned = new ArrayList<>();
    List<ByteBuffer> mapped = new ArrayList<>();
    OrtSession.SessionOptions options;
    try {
      options = OrtSessions.options(device, threads);
    } catch (OrtException e) {
      throw cannotLoad(e);
    }
    try {
      options.setOptimizationLevel(optimize && inline ? OrtSession.SessionOptions.OptLevel.ALL_OPT
          : OrtSession.SessionOptions.OptLevel.NO_OPT);
      // These sessions serve one pass over the calibration set, or queries on batches whose
      // length varies (trimmed padding). A memory pattern is planned on a session's first run
      // and allocated as one new block on its second, so it costs a second cold run (a third of
      // a MiniLM step's time) that such short lives never win back, and a new shape discards it;
      // without it the arena's chunks from the first run serve every later one.
      options.setMemoryPatternOptimization(false);
      if (!inline) {
        // prepacking would copy every MatMul weight once more; these weights are mapped to save memory
        options.addConfigEntry("session.disable_prepacking", "1");
      }
      GraphProto.Builder g = graph.toBuilder();
      Set<String> packable = inline ? packableWeights(graph) : Set.of();
      for (int i = 0; i < g.getInitializerCount(); i++) {
        TensorProto t = g.getInitializer(i);
        ByteBuffer override = overrides == null ? null : overrides.get(t.getName());
        boolean external = t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
        long size = TensorShapes.byteSize(model.path(), t);
        if (inline && (optimize || size < MAPPED_IN_INLINE || packable.contains(t.getName()))) {
          if (override != null || external) {
            ByteBuffer data = override != null ? override : model.rawBytes(t);
            g.setInitializer(i, t.toBuilder().clearExternalData().clearDataLocation().clearFloatData()
                .clearInt32Data().setRawData(UnsafeByteOperations.unsafeWrap(data.duplicate())).build());
          }
          continue;
        }
        OnnxJavaType type = javaType(t.getDataType());
        if (size < SMALL || type == null || (override == null && !external && !t.hasRawData())) {
          if (override != null) {
            g.setInitializer(i, t.toBuilder().setRawData(UnsafeByteOperations.unsafeWrap(override.duplicate())).build());
          }
          continue;
        }
        ByteBuffer data = override != null ? override : model.rawBytes(t);
        if (override != null || external) {
          mapped.add(data); // mapped for this session alone: unmapped when it closes
        }
        ByteBuffer direct = data.isDirect() ? data.duplicate() : copyDirect(data);
        long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
        OnnxTensor tensor = OnnxTensor.createTensor(env, direct.order(ByteOrder.nativeOrder()), dims, type);
        owned.add(tensor);
        options.addInitializer(t.getName(), tensor);
        // the graph keeps the declaration; ONNX Runtime takes the values from the options
        g.setInitializer(i, t.toBuilder().clearRawData().clearExternalData()
            .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("shears-provided"))
            .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(Long.toString(size)))
            .setDataLocation(TensorProto.DataLocation.EXTERNAL).build());
      }
      ModelProto variant = model.proto().toBuilder().setGraph(g).build();
      OrtSession session;
      synchronized (this) { // the buffer is shared: one session is built from it at a time
        session = env.createSession(serialized(variant), options);
      }
      return new Handle(session, options, owned, mapped);
    } catch (OrtException e) {
      owned.forEach(OnnxTensor::close);
      options.close();
      mapped.forEach(Buffers::release);
      throw cannotLoad(e);
    }
  }

  private static ShearsException cannotLoad(OrtException e) {
    return new ShearsException("ONNX Runtime cannot load the model: "
        + String.valueOf(e.getMessage()).replace('\n', ' '), e);
  }

  /** Initializers read by operators whose kernels pre-pack their weights. */
  private static Set<String> packableWeights(GraphProto graph) {
    Set<String> names = new HashSet<>();
    for (NodeProto n : graph.getNodeList()) {
      if (PACKING_OPS.contains(n.getOpType()) && n.getDomain().isEmpty()) {
        names.addAll(n.getInputList());
      }
    }
    return names;
  }

  /**
   * The model's bytes in a direct buffer this factory reuses from session to session. ONNX
   * Runtime parses them during {@code createSession} and keeps nothing of them after, so one
   * buffer serves every variant; a fresh array per session would touch as much new memory as
   * the graph's inline weights each time. The weights wrapped above (mapped store regions and
   * external data, not copied) stay valid until the session is built.
   */
  private ByteBuffer serialized(ModelProto variant) {
    int size = variant.getSerializedSize();
    if (scratch == null || scratch.capacity() < size) {
      Buffers.release(scratch);
      scratch = ByteBuffer.allocateDirect(Math.max(size, scratch == null ? 0 : 2 * scratch.capacity()));
    }
    scratch.clear();
    try {
      CodedOutputStream out = CodedOutputStream.newInstance(scratch);
      variant.writeTo(out);
      out.flush();
    } catch (java.io.IOException e) {
      throw new ShearsException("cannot serialize a session graph: " + e.getMessage(), e);
    }
    scratch.flip();
    return scratch;
  }

  /** Frees the serialization buffer; sessions already built are not affected. */
  synchronized void close() {
    Buffers.release(scratch);
    scratch = null;
  }

  private static ByteBuffer copyDirect(ByteBuffer data) {
    ByteBuffer direct = ByteBuffer.allocateDirect(data.remaining());
    direct.put(data.duplicate()).flip();
    return direct;
  }

  private static OnnxJavaType javaType(int onnxType) {
    DataType t = DataType.ofCode(onnxType);
    if (t == null) {
      return null;
    }
    return switch (t) {
      case FLOAT -> OnnxJavaType.FLOAT;
      case FLOAT16 -> OnnxJavaType.FLOAT16;
      case BFLOAT16 -> OnnxJavaType.BFLOAT16;
      case DOUBLE -> OnnxJavaType.DOUBLE;
      case INT64 -> OnnxJavaType.INT64;
      case INT32 -> OnnxJavaType.INT32;
      case INT8 -> OnnxJavaType.INT8;
      case UINT8 -> OnnxJavaType.UINT8;
    };
  }
}
