package dev.shears.core.calibration;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.shears.api.CalibrationLoss;
import dev.shears.api.ZerothOrderSettings;
import dev.shears.core.ShearsException;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.onnx.DataType;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorValues;
import dev.shears.core.onnx.proto.Onnx.GraphProto;
import dev.shears.core.progress.Progress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
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
 * The slicing, the dense pass and the queries are {@link DownstreamLoss}'s.
 */
final class ZerothOrderEstimator {
  private final ModelFile model;
  private final GraphProto graph;
  private final Set<String> graphInputs;
  private final SessionFactory sessions;
  private final Progress progress;
  private final OrtEnvironment env;

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
  }

  Result estimate(Map<String, List<PrunableTensor>> blocks, ZerothOrderSettings settings, CalibrationLoss loss,
      CalibrationSource source, long seed) {
    int batchSize = settings.batchSize() > 0 ? settings.batchSize() : loss.preferredBatchSize();
    List<Map<String, HostTensor>> batches =
        DownstreamLoss.readBatches(graph, source, settings.samples(), batchSize, loss, seed);
    DownstreamLoss downstream = new DownstreamLoss(model, graph, graphInputs, sessions, env, blocks, batches, loss);
    long sessionNanos = 0;

    Map<String, Double> tensorScores = new LinkedHashMap<>();
    Map<String, Double> importance = new LinkedHashMap<>();
    long total = 0;
    for (DownstreamLoss.Slice s : downstream.slices()) {
      total += 2L * s.tensors().size() * downstream.batches() * settings.perturbations(); // queries, as reported
    }
    long queries = 0;
    long queryNanos = 0;
    long firstBatchNanos = 0;
    long firstBatchQueries = 0;
    int tensorIndex = 0;
    try (Progress.Task bar = progress.start("Zeroth-order queries", total);
        Perturbed perturbed = new Perturbed()) {
      for (DownstreamLoss.Slice s : downstream.slices()) {
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
        try (DownstreamLoss.Open open = downstream.open(s)) {
          sessionNanos += open.openNanos();
          double[] scores = new double[s.tensors().size()];
          // batch-major: a batch's upstream values become ONNX Runtime tensors once and serve
          // every query on it; each tensor's score still sums its batches in order
          for (int b = 0; b < downstream.batches(); b++) {
            try (DownstreamLoss.Open.Feeds feeds = open.feeds(b)) {
              for (int ti = 0; ti < s.tensors().size(); ti++) {
                PrunableTensor t = s.tensors().get(ti);
                float[] w = open.original(t);
                String what = "perturbing tensor " + t.name();
                for (int k = 0; k < settings.perturbations(); k++) {
                  SplittableRandom rng = new SplittableRandom(mix(seed, tensorIndex + ti, b, k));
                  perturbed.fill(w, (float) settings.eps(), rng);
                  long start = System.nanoTime();
                  double lossPlus;
                  double lossMinus;
                  try (OnnxTensor p = perturbed.plus(t); OnnxTensor m = perturbed.minus(t)) {
                    lossPlus = feeds.loss(Map.of(t.name(), p), what);
                    lossMinus = feeds.loss(Map.of(t.name(), m), what);
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
            }
          }
          for (int ti = 0; ti < s.tensors().size(); ti++) {
            tensorScores.put(s.tensors().get(ti).name(), scores[ti]);
            blockScore += scores[ti];
          }
          tensorIndex += s.tensors().size();
        } catch (OrtException e) {
          throw new ShearsException("ONNX Runtime failed during zeroth-order queries on block " + s.block() + ": "
              + String.valueOf(e.getMessage()).replace('\n', ' '), e);
        }
        importance.put(s.block(), blockScore);
      }
    }
    double perQuery = firstBatchQueries == 0 ? 0 : firstBatchNanos / 1e9 / firstBatchQueries;
    double forwardSeconds = downstream.forwardSeconds();
    Map<String, Double> seconds = new LinkedHashMap<>();
    seconds.put("dense pass", Math.round(downstream.denseNanos() / 1e6) / 1e3);
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
}
