package dev.shears.cli;

import dev.shears.api.InvalidConfigurationException;
import dev.shears.core.graph.SelectionRules;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Option;

/** {@code --include} and {@code --exclude}. */
final class SelectionOptions {
  @Option(names = "--include", paramLabel = "REGEX",
      description = "Also prune weights whose consuming node's name matches (e.g. projection heads).")
  List<String> include = new ArrayList<>();

  @Option(names = "--exclude", paramLabel = "REGEX",
      description = "Never prune weights whose consuming node's name matches.")
  List<String> exclude = new ArrayList<>();

  SelectionRules rules() {
    return new SelectionRules(compile("--include", include), compile("--exclude", exclude));
  }

  private static List<Pattern> compile(String flag, List<String> regexes) {
    List<Pattern> out = new ArrayList<>();
    for (String r : regexes) {
      try {
        out.add(Pattern.compile(r));
      } catch (PatternSyntaxException e) {
        throw new InvalidConfigurationException(flag + " '" + r + "' is not a valid regular expression: "
            + e.getDescription());
      }
    }
    return out;
  }
}
