package dev.shears.cli;

import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.StrategyKind;
import dev.shears.core.strategy.StrategyRegistry;
import java.util.Collection;

/** "Did you mean ...": the closest known name to a misspelled one. */
final class Suggest {
  private Suggest() {}

  /** The known name within edit distance 2 of {@code name} (the closest, first on ties), or null. */
  static String closest(String name, Collection<String> known) {
    String best = null;
    int bestDistance = 3;
    for (String k : known) {
      int d = distance(name.toLowerCase(java.util.Locale.ROOT), k.toLowerCase(java.util.Locale.ROOT));
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best;
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /**
   * Checks that a strategy of this kind and name exists; when it does not, the registry's
   * message (which lists what is available) ends with "did you mean ...?" for a close name.
   */
  static void strategyExists(StrategyRegistry registry, StrategyKind kind, String name) {
    if (registry.availableNames(kind).contains(name)) {
      return;
    }
    try {
      registry.forName(kind, name);
    } catch (InvalidConfigurationException e) {
      String close = closest(name, registry.availableNames(kind));
      if (close == null) {
        throw e;
      }
      throw new InvalidConfigurationException(e.getMessage() + "; did you mean '" + close + "'?");
    }
  }
}
