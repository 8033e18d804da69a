package dev.shears.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Core's feature packages depend on each other without a loop, so they read as the flow:
 * onnx → graph → evidence → calibration → evaluation → report → pruning, which also uses
 * strategy (plugin discovery, on the api alone). A feature package's sub-packages
 * ({@code calibration.source}) count as the feature. The root package
 * ({@code ShearsException}, {@code PluginFailure}, {@code Version}) depends on none of them.
 */
class PackageCyclesTest {
  private static final Path SOURCES = Path.of("src/main/java/dev/shears/core");
  private static final Pattern PACKAGE = Pattern.compile("^package dev\\.shears\\.core\\.?([a-z.]*);", Pattern.MULTILINE);
  private static final Pattern REFERENCE = Pattern.compile("dev\\.shears\\.core\\.([a-z]+)\\.");

  @Test
  void featurePackagesFormNoCycle() throws IOException {
    Map<String, Set<String>> deps = dependencies();
    assertTrue(deps.keySet().containsAll(List.of("onnx", "graph", "calibration", "pruning", "report", "strategy")), deps.toString());
    assertEquals(Set.of(), deps.getOrDefault("", Set.of()), "the root package depends on no feature package");
    List<String> cycle = findCycle(deps);
    assertTrue(cycle.isEmpty(), "package cycle: " + String.join(" -> ", cycle) + " in " + deps);
  }

  @Test
  void theCheckFindsACycle() {
    Map<String, Set<String>> deps = new TreeMap<>(Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a")));
    assertEquals(List.of("a", "b", "c", "a"), findCycle(deps));
  }

  /** Feature package to the feature packages it names (imports or qualified references). */
  private static Map<String, Set<String>> dependencies() throws IOException {
    Map<String, Set<String>> deps = new TreeMap<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
        String src = Files.readString(f);
        Matcher pm = PACKAGE.matcher(src);
        assertTrue(pm.find(), f + " has a package line");
        String feature = pm.group(1).isEmpty() ? "" : pm.group(1).split("\\.")[0];
        Set<String> out = deps.computeIfAbsent(feature, k -> new TreeSet<>());
        Matcher rm = REFERENCE.matcher(src.substring(pm.end()));
        while (rm.find()) {
          if (!rm.group(1).equals(feature)) {
            out.add(rm.group(1));
          }
        }
      }
    }
    return deps;
  }

  /** A cycle as a path that returns to its start, or empty. */
  static List<String> findCycle(Map<String, Set<String>> deps) {
    Map<String, Integer> state = new TreeMap<>();
    for (String start : deps.keySet()) {
      List<String> path = new ArrayList<>();
      if (visit(start, deps, state, path)) {
        return path;
      }
    }
    return List.of();
  }

  private static boolean visit(String node, Map<String, Set<String>> deps, Map<String, Integer> state,
      List<String> path) {
    int s = state.getOrDefault(node, 0);
    if (s == 2) {
      return false;
    }
    if (s == 1) {
      path.subList(0, path.indexOf(node)).clear();
      path.add(node);
      return true;
    }
    state.put(node, 1);
    path.add(node);
    for (String next : deps.getOrDefault(node, Set.of())) {
      if (visit(next, deps, state, path)) {
        return true;
      }
    }
    path.remove(path.size() - 1);
    state.put(node, 2);
    return false;
  }
}
