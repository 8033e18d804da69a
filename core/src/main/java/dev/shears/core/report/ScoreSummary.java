package dev.shears.core.report;

/**
 * A summary of the scores a scorer gave one tensor's weights (higher = more important). Pipeline
 * code that has the scores at hand can fill {@link TensorReport#scores()} with {@link #of}; it
 * is {@code null} otherwise.
 *
 * @param min the lowest score
 * @param median the median score
 * @param max the highest score
 * @param mean the mean score
 * @param threshold the highest score among the pruned weights ({@code NaN} if none was pruned)
 */
public record ScoreSummary(double min, double median, double max, double mean, double threshold) {

  /** Summarises scores, given which weights were pruned ({@code pruned[i]}). */
  public static ScoreSummary of(float[] scores, java.util.BitSet pruned) {
    if (scores.length == 0) {
      return new ScoreSummary(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    float[] sorted = scores.clone();
    java.util.Arrays.sort(sorted);
    double sum = 0;
    double threshold = Double.NaN;
    for (int i = 0; i < scores.length; i++) {
      sum += scores[i];
      if (pruned != null && pruned.get(i) && !(scores[i] <= threshold)) {
        threshold = scores[i];
      }
    }
    int n = sorted.length;
    double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + (double) sorted[n / 2]) / 2;
    return new ScoreSummary(sorted[0], median, sorted[n - 1], sum / n, threshold);
  }
}
