package dev.shears.api;

/**
 * Which shapes of sparsity are allowed inside a layer.
 *
 * @param n weights kept in every run of {@code m} consecutive input features (N:M)
 * @param m the run length; zero means unstructured
 */
public record SparsityPattern(int n, int m) {
  private static final SparsityPattern UNSTRUCTURED = new SparsityPattern(0, 0);

  /**
   * Checks the fields.
   *
   * @param n kept per run
   * @param m run length, or zero for unstructured
   */
  public SparsityPattern {
    if (m == 0 ? n != 0 : (m < 1 || n < 0 || n >= m)) {
      throw new IllegalArgumentException("not a sparsity pattern: " + n + ":" + m);
    }
  }

  /**
   * Any weight may go.
   *
   * @return the unstructured pattern
   */
  public static SparsityPattern unstructured() {
    return UNSTRUCTURED;
  }

  /**
   * Parses {@code unstructured} or {@code N:M} such as {@code 2:4}.
   *
   * @param text the pattern as the user wrote it
   * @return the pattern
   * @throws InvalidConfigurationException when the text is neither
   */
  public static SparsityPattern parse(String text) {
    String t = text.trim();
    if (t.equals("unstructured")) {
      return UNSTRUCTURED;
    }
    int colon = t.indexOf(':');
    try {
      if (colon > 0) {
        int n = Integer.parseInt(t.substring(0, colon));
        int m = Integer.parseInt(t.substring(colon + 1));
        if (m >= 1 && n >= 1 && n < m) {
          return new SparsityPattern(n, m);
        }
      }
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw new InvalidConfigurationException(
        "a sparsity pattern must be 'unstructured' or N:M with 0 < N < M (like 2:4), got '" + text + "'");
  }

  /**
   * Whether this is the unstructured pattern.
   *
   * @return true when any weight may go
   */
  public boolean isUnstructured() {
    return m == 0;
  }

  /**
   * The sparsity an N:M pattern implies, {@code 1 - n/m}.
   *
   * @return the implied sparsity
   * @throws IllegalStateException for the unstructured pattern
   */
  public double impliedSparsity() {
    if (isUnstructured()) {
      throw new IllegalStateException("unstructured sparsity implies no ratio");
    }
    return 1.0 - (double) n / m;
  }

  @Override
  public String toString() {
    return isUnstructured() ? "unstructured" : n + ":" + m;
  }
}
