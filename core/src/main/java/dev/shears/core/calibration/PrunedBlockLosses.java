package dev.shears.core.calibration;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import dev.shears.core.ShearsException;
import dev.shears.core.evidence.StatisticsEngine.BlockLosses;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.progress.Progress;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The loss increase of a block with some of its weights replaced (the sensitivity allocator's
 * measurements), over {@link DownstreamLoss}: the session of the block measured last stays open,
 * so an allocator that measures block by block builds each slice once. On close it adds its
 * counts and times to the engine's diagnostics and timings.
 */
final class PrunedBlockLosses implements BlockLosses {
  private final DownstreamLoss downstream;
  private final Progress progress;
  private final Map<String, Object> diagnostics;
  private final Map<String, Double> timings;
  private final Set<String> warned = new HashSet<>();
  private DownstreamLoss.Open open;
  private long evaluations;
  private long sessionNanos;
  private long queryNanos;

  /**
   * @param downstream the dense pass over the measurement batches, taken
   * @param diagnostics the engine's diagnostics, where the counts go on close
   * @param timings the engine's timings, where the times go on close
   */
  PrunedBlockLosses(DownstreamLoss downstream, Progress progress, Map<String, Object> diagnostics,
      Map<String, Double> timings) {
    this.downstream = downstream;
    this.progress = progress;
    this.diagnostics = diagnostics;
    this.timings = timings;
  }

  @Override
  public double lossIncrease(String block, Map<String, ByteBuffer> replaced) {
    DownstreamLoss.Slice s = downstream.slice(block);
    if (s.outputs().isEmpty()) {
      if (warned.add(block)) {
        progress.note("warning: block " + block + " does not reach any model output; its loss increase is 0");
      }
      return 0;
    }
    if (open == null || !open.slice().block().equals(block)) {
      closeOpen();
      open = downstream.open(s);
      sessionNanos += open.openNanos();
    }
    long start = System.nanoTime();
    Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
    try {
      for (PrunableTensor t : s.tensors()) {
        ByteBuffer bytes = replaced.get(t.name());
        if (bytes != null) {
          tensors.put(t.name(), downstream.storedTensor(t, bytes));
        }
      }
      double sum = 0;
      for (int b = 0; b < downstream.batches(); b++) {
        try (DownstreamLoss.Open.Feeds feeds = open.feeds(b)) {
          sum += feeds.loss(tensors, "pruned alone") - downstream.denseLoss(b);
        }
      }
      evaluations++;
      return sum / downstream.batches();
    } catch (OrtException e) {
      throw new ShearsException("ONNX Runtime failed measuring the loss of block " + block + ": "
          + String.valueOf(e.getMessage()).replace('\n', ' '), e);
    } finally {
      tensors.values().forEach(OnnxTensor::close);
      queryNanos += System.nanoTime() - start;
    }
  }

  private void closeOpen() {
    if (open != null) {
      open.close();
      open = null;
    }
  }

  @Override
  public void close() {
    closeOpen();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("evaluations", evaluations);
    d.put("batches", downstream.batches());
    diagnostics.put("prunedLoss", d);
    timings.put("pruned loss / dense pass", Math.round(downstream.denseNanos() / 1e6) / 1e3);
    timings.put("pruned loss / session set-up", Math.round(sessionNanos / 1e6) / 1e3);
    timings.put("pruned loss / queries", Math.round(queryNanos / 1e6) / 1e3);
  }
}
