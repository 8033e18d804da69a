package dev.shears.core.pruning;

/** When the fine stage's statistics are taken. */
public enum Mode {
  /** Block by block, each on inputs that passed through the earlier pruned blocks. */
  SEQUENTIAL("sequential"),
  /** All from the dense model in one pass. */
  ONE_SHOT("one-shot");

  private final String label;

  Mode(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /** The mode a label names ({@code oneshot} is accepted too), or null. */
  public static Mode forLabel(String label) {
    return switch (label.toLowerCase(java.util.Locale.ROOT)) {
      case "sequential" -> SEQUENTIAL;
      case "one-shot", "oneshot" -> ONE_SHOT;
      default -> null;
    };
  }
}
