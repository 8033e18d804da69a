package dev.shears.core.evaluation;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How closely a model's outputs follow a reference model's on the same inputs, accumulated over
 * batches, per output.
 */
public final class Fidelity {
  private final Map<String, Accumulator> outputs = new LinkedHashMap<>();

  /**
   * The figures of one output.
   *
   * @param cosine cosine similarity of the whole output (all batches flattened into one vector)
   * @param meanRowCosine mean over samples (rows of axis 0) of the per-sample cosine similarity
   * @param maxAbsDiff the largest absolute difference of any value
   * @param top1Agreement for outputs named {@code logits*} of rank 2: fraction of rows whose
   *     argmax is the same; else {@code null}
   * @param values number of values compared
   */
  public record OutputFidelity(
      double cosine, double meanRowCosine, double maxAbsDiff, Double top1Agreement, long values) {}

  private static final class Accumulator {
    double dot;
    double na;
    double nb;
    double maxAbs;
    double rowCosSum;
    long rows;
    long agree;
    long argmaxRows;
    long values;
  }

  /** Adds one batch of an output: the model's and the reference's values for the same inputs. */
  public void add(String name, ModelRunner.Output model, ModelRunner.Output reference) {
    if (model.values().length != reference.values().length) {
      throw new IllegalArgumentException(name + ": " + model.values().length + " values vs "
          + reference.values().length + " in the reference");
    }
    Accumulator a = outputs.computeIfAbsent(name, k -> new Accumulator());
    float[] x = model.values();
    float[] y = reference.values();
    int rows = Math.max(1, model.rows());
    int cols = x.length / rows;
    boolean logits = name.startsWith("logits") && model.shape().length == 2 && cols > 1;
    for (int r = 0; r < rows; r++) {
      double d = 0;
      double n1 = 0;
      double n2 = 0;
      int bx = 0;
      int by = 0;
      for (int c = 0; c < cols; c++) {
        int i = r * cols + c;
        d += (double) x[i] * y[i];
        n1 += (double) x[i] * x[i];
        n2 += (double) y[i] * y[i];
        a.maxAbs = Math.max(a.maxAbs, Math.abs((double) x[i] - y[i]));
        if (x[i] > x[r * cols + bx]) {
          bx = c;
        }
        if (y[i] > y[r * cols + by]) {
          by = c;
        }
      }
      a.dot += d;
      a.na += n1;
      a.nb += n2;
      a.rowCosSum += cosine(d, n1, n2);
      a.rows++;
      if (logits) {
        a.argmaxRows++;
        if (bx == by) {
          a.agree++;
        }
      }
    }
    a.values += x.length;
  }

  private static double cosine(double dot, double n1, double n2) {
    if (n1 == 0 && n2 == 0) {
      return 1;
    }
    if (n1 == 0 || n2 == 0) {
      return 0;
    }
    return dot / Math.sqrt(n1 * n2);
  }

  /** The figures so far, per output in the order first added. */
  public Map<String, OutputFidelity> result() {
    Map<String, OutputFidelity> out = new LinkedHashMap<>();
    outputs.forEach((k, a) -> out.put(k, new OutputFidelity(cosine(a.dot, a.na, a.nb),
        a.rows == 0 ? 1 : a.rowCosSum / a.rows, a.maxAbs,
        a.argmaxRows == 0 ? null : (double) a.agree / a.argmaxRows, a.values)));
    return out;
  }
}
