package dev.shears.core.evaluation;

import java.util.List;

/**
 * Image-text retrieval recall@k over a score matrix {@code scores[image][text]} of N images and
 * their N captions (caption i belongs to image i). Several images may share a caption, so a hit
 * is any retrieved item whose caption is identical to the query's: image-to-text, a query image
 * hits when one of its k best-scoring texts has the image's caption; text-to-image, a query
 * caption hits when one of its k best-scoring images has that caption. An item scoring exactly
 * as high as the best correct one does not push it out of the top k.
 */
public final class RetrievalMetrics {
  private RetrievalMetrics() {}

  /** Fraction of image queries with a correct text among their top {@code k}. */
  public static double imageToText(float[][] scores, List<String> captions, int k) {
    int n = scores.length;
    int hits = 0;
    for (int i = 0; i < n; i++) {
      float[] row = scores[i];
      String want = captions.get(i);
      float best = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < row.length; j++) {
        if (captions.get(j).equals(want) && row[j] > best) {
          best = row[j];
        }
      }
      int above = 0;
      for (int j = 0; j < row.length && above < k; j++) {
        if (row[j] > best && !captions.get(j).equals(want)) {
          above++;
        }
      }
      if (above < k) {
        hits++;
      }
    }
    return (double) hits / n;
  }

  /** Fraction of text queries with a correct image among their top {@code k}. */
  public static double textToImage(float[][] scores, List<String> captions, int k) {
    int n = scores.length;
    int hits = 0;
    for (int t = 0; t < n; t++) {
      String want = captions.get(t);
      float best = Float.NEGATIVE_INFINITY;
      for (int i = 0; i < n; i++) {
        if (captions.get(i).equals(want) && scores[i][t] > best) {
          best = scores[i][t];
        }
      }
      int above = 0;
      for (int i = 0; i < n && above < k; i++) {
        if (scores[i][t] > best && !captions.get(i).equals(want)) {
          above++;
        }
      }
      if (above < k) {
        hits++;
      }
    }
    return (double) hits / n;
  }

  /** Index of the largest value of a row (the first one on ties). */
  public static int argmax(float[] row) {
    int best = 0;
    for (int j = 1; j < row.length; j++) {
      if (row[j] > row[best]) {
        best = j;
      }
    }
    return best;
  }

  /** Cosine similarities of L2-normalised rows: {@code a[i] . b[j]}. */
  public static float[][] cosine(float[][] a, float[][] b) {
    float[][] na = normalised(a);
    float[][] nb = normalised(b);
    float[][] out = new float[na.length][nb.length];
    for (int i = 0; i < na.length; i++) {
      for (int j = 0; j < nb.length; j++) {
        float s = 0;
        float[] x = na[i];
        float[] y = nb[j];
        for (int d = 0; d < x.length; d++) {
          s += x[d] * y[d];
        }
        out[i][j] = s;
      }
    }
    return out;
  }

  private static float[][] normalised(float[][] m) {
    float[][] out = new float[m.length][];
    for (int i = 0; i < m.length; i++) {
      double ss = 0;
      for (float v : m[i]) {
        ss += (double) v * v;
      }
      float inv = ss > 0 ? (float) (1 / Math.sqrt(ss)) : 0f;
      out[i] = new float[m[i].length];
      for (int d = 0; d < m[i].length; d++) {
        out[i][d] = m[i][d] * inv;
      }
    }
    return out;
  }
}
