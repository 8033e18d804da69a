package dev.shears.core.evaluation;

import dev.shears.core.ShearsException;
import dev.shears.core.calibration.CalibrationBatch;
import dev.shears.core.calibration.CalibrationSource;
import dev.shears.core.calibration.HostTensor;
import java.io.IOException;
import java.nio.LongBuffer;
import java.util.Map;

/**
 * How close a pruned embedding model stays to its dense original on unlabelled texts: per
 * sentence, the cosine similarity of the two pooled embeddings (mean over tokens under the
 * attention mask for token outputs, the output itself for {@code [batch, dim]} outputs).
 */
public final class EmbeddingFidelity {
  private EmbeddingFidelity() {}

  /**
   * The result.
   *
   * @param output the output pooled
   * @param sentences how many texts were compared
   * @param meanCosine the mean over sentences
   * @param minCosine the worst sentence
   */
  public record Result(String output, int sentences, double meanCosine, double minCosine) {}

  public static Result measure(ModelRunner model, ModelRunner reference, CalibrationSource texts, int batchSize)
      throws IOException {
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    int n = 0;
    String name = null;
    try (CalibrationSource.BatchReader r = texts.open(batchSize)) {
      CalibrationBatch batch;
      while ((batch = r.next()) != null) {
        Map<String, ModelRunner.Output> a = model.run(batch.inputs());
        Map<String, ModelRunner.Output> b = reference.run(batch.inputs());
        if (name == null) {
          name = a.keySet().iterator().next();
        }
        double[][] pa = pooled(a.get(name), batch.inputs().get("attention_mask"));
        double[][] pb = pooled(b.get(name), batch.inputs().get("attention_mask"));
        for (int i = 0; i < pa.length; i++) {
          double dot = 0;
          double na = 0;
          double nb = 0;
          for (int k = 0; k < pa[i].length; k++) {
            dot += pa[i][k] * pb[i][k];
            na += pa[i][k] * pa[i][k];
            nb += pb[i][k] * pb[i][k];
          }
          double cos = dot / Math.sqrt(Math.max(na * nb, 1e-300));
          sum += cos;
          min = Math.min(min, cos);
          n++;
        }
      }
    }
    if (n == 0) {
      throw new ShearsException("no texts to compare");
    }
    return new Result(name, n, sum / n, min);
  }

  private static double[][] pooled(ModelRunner.Output out, HostTensor mask) {
    long[] shape = out.shape();
    float[] v = out.values();
    if (shape.length == 2) {
      int rows = (int) shape[0];
      int d = (int) shape[1];
      double[][] p = new double[rows][d];
      for (int i = 0; i < rows; i++) {
        for (int k = 0; k < d; k++) {
          p[i][k] = v[i * d + k];
        }
      }
      return p;
    }
    if (shape.length != 3) {
      throw new ShearsException("cannot pool an output of rank " + shape.length);
    }
    int rows = (int) shape[0];
    int len = (int) shape[1];
    int d = (int) shape[2];
    LongBuffer m = mask == null ? null : (LongBuffer) mask.data().duplicate();
    double[][] p = new double[rows][d];
    for (int i = 0; i < rows; i++) {
      double count = 0;
      for (int s = 0; s < len; s++) {
        long w = m == null ? 1 : m.get(i * len + s);
        if (w == 0) {
          continue;
        }
        count += w;
        for (int k = 0; k < d; k++) {
          p[i][k] += w * v[(i * len + s) * d + k];
        }
      }
      for (int k = 0; k < d; k++) {
        p[i][k] /= Math.max(count, 1);
      }
    }
    return p;
  }
}
