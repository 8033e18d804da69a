package dev.shears.core.graph;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The user's {@code --include}/{@code --exclude} regular expressions on consumer node names.
 * Included weights are pruned even outside blocks; excluded ones never. A rule that matches
 * no weight is an error, because a typo would otherwise silently change nothing.
 */
public record SelectionRules(List<Pattern> include, List<Pattern> exclude) {
  public static final SelectionRules DEFAULT = new SelectionRules(List.of(), List.of());

  public SelectionRules {
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
  }
}
