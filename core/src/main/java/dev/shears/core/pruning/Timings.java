package dev.shears.core.pruning;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** Wall time per pipeline stage, summed when a stage runs several times. */
final class Timings {
  private final Map<String, Long> nanos = new LinkedHashMap<>();

  <T> T time(String stage, Supplier<T> work) {
    long start = System.nanoTime();
    try {
      return work.get();
    } finally {
      nanos.merge(stage, System.nanoTime() - start, Long::sum);
    }
  }

  /** Adds wall time measured elsewhere to a stage. */
  void add(String stage, long spent) {
    nanos.merge(stage, spent, Long::sum);
  }

  Map<String, Double> seconds() {
    Map<String, Double> out = new LinkedHashMap<>();
    nanos.forEach((k, v) -> out.put(k, Math.round(v / 1e6) / 1e3));
    return out;
  }
}
