package dev.shears.plugins.loss;

import dev.shears.api.CalibrationLoss;
import dev.shears.api.FloatTensor;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.ModelRun;
import java.nio.FloatBuffer;
import java.util.Set;

/**
 * For single-tower embedding models, which have no labels: InfoNCE between the candidate's
 * pooled embeddings and the dense model's pooled embeddings of the same batch (sample i of
 * the candidate should stay closest to sample i of the dense model). Token outputs
 * {@code [batch, tokens, dim]} are mean-pooled under the attention mask; {@code [batch, dim]}
 * outputs are used as they are.
 */
final class EmbeddingLoss implements CalibrationLoss {
  private final String output;
  private final double temperature;

  /** @param output the output to pool, or empty for the model's first output */
  EmbeddingLoss(String output, double temperature) {
    this.output = output;
    this.temperature = temperature;
  }

  @Override
  public boolean appliesTo(Set<String> outputNames) {
    return output.isEmpty() ? !outputNames.isEmpty() : outputNames.contains(output);
  }

  @Override
  public double loss(ModelRun candidate, ModelRun dense) {
    String name = output.isEmpty() ? candidate.outputNames().iterator().next() : output;
    double[][] a = pooled(candidate, name);
    double[][] b = pooled(dense, name);
    int n = a.length;
    float[] logits = new float[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double dot = 0;
        for (int k = 0; k < a[i].length; k++) {
          dot += a[i][k] * b[j][k];
        }
        logits[i * n + j] = (float) (dot / temperature);
      }
    }
    return CrossEntropy.diagonal(FloatBuffer.wrap(logits), n, n);
  }

  /** L2-normalised pooled embeddings, one row per sample. */
  static double[][] pooled(ModelRun run, String name) {
    FloatTensor t = run.output(name);
    long[] shape = t.shape();
    if (shape.length == 2) {
      int n = t.dim(0);
      int d = t.dim(1);
      double[][] out = new double[n][d];
      for (int i = 0; i < n; i++) {
        for (int k = 0; k < d; k++) {
          out[i][k] = t.get(i, k);
        }
      }
      return normalised(out);
    }
    if (shape.length != 3) {
      throw new InvalidConfigurationException("loss 'embedding' needs a [batch, dim] or [batch, tokens, dim] output; '"
          + name + "' has rank " + shape.length);
    }
    int n = t.dim(0);
    int len = t.dim(1);
    int d = t.dim(2);
    FloatTensor mask = run.input("attention_mask");
    double[][] out = new double[n][d];
    for (int i = 0; i < n; i++) {
      double count = 0;
      for (int s = 0; s < len; s++) {
        float m = mask.get(i * len + s);
        if (m == 0f) {
          continue;
        }
        count += m;
        int base = (i * len + s) * d;
        for (int k = 0; k < d; k++) {
          out[i][k] += m * t.get(base + k);
        }
      }
      for (int k = 0; k < d; k++) {
        out[i][k] /= Math.max(count, 1e-9);
      }
    }
    return normalised(out);
  }

  private static double[][] normalised(double[][] rows) {
    for (double[] r : rows) {
      double norm = 0;
      for (double v : r) {
        norm += v * v;
      }
      norm = Math.sqrt(Math.max(norm, 1e-24));
      for (int k = 0; k < r.length; k++) {
        r[k] /= norm;
      }
    }
    return rows;
  }
}
