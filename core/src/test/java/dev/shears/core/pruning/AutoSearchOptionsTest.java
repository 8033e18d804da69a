package dev.shears.core.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.shears.api.Evidence;
import dev.shears.api.SparsityPattern;
import dev.shears.core.progress.Progress;
import dev.shears.core.strategy.StrategyRegistry;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What each candidate of a search, or of the allocation guard, is run with. */
class AutoSearchOptionsTest {
  private static final StrategyRegistry REGISTRY = StrategyRegistry.load(AutoSearchOptionsTest.class.getClassLoader());
  private static final Map<String, String> PARAMS = Map.of("loss.temperature", "0.5", "allocator.samples", "64",
      "scorer.dampening", "0.02");

  private static PruneOptions options() {
    return new PruneOptions(0.6, SparsityPattern.unstructured(), "sparsegpt", "sensitivity", "embedding", PARAMS,
        Mode.ONE_SHOT, 3);
  }

  @Test
  void anAllocatorThatMeasuresALossGetsTheLossAndItsParameters() {
    AutoSearch search = new AutoSearch(REGISTRY, Progress.NONE, options(), List.of("sensitivity", "uniform"),
        List.of("sparsegpt"), Mode.ONE_SHOT);
    PruneOptions measured = search.optionsFor(new AutoSearch.Candidate("sensitivity", "sparsegpt", Mode.ONE_SHOT),
        "embedding", Set.of(Evidence.PRUNED_LOSS));
    assertEquals("embedding", measured.loss());
    assertEquals(PARAMS, measured.params());
    PruneOptions zerothOrder = search.optionsFor(new AutoSearch.Candidate("ecoflap", "sparsegpt", Mode.ONE_SHOT),
        "embedding", Set.of(Evidence.ZEROTH_ORDER_IMPORTANCE));
    assertEquals("embedding", zerothOrder.loss());
    PruneOptions none = search.optionsFor(new AutoSearch.Candidate("uniform", "sparsegpt", Mode.ONE_SHOT),
        "embedding", Set.of());
    assertNull(none.loss());
    assertEquals(Map.of("allocator.samples", "64", "scorer.dampening", "0.02"), none.params());
  }

  @Test
  void theGuardsUniformCandidateTakesNoAllocatorParameters() {
    AutoSearch guard = AutoSearch.guard(REGISTRY, Progress.NONE, options());
    assertEquals(List.of(new AutoSearch.Candidate("sensitivity", "sparsegpt", Mode.ONE_SHOT),
        new AutoSearch.Candidate("uniform", "sparsegpt", Mode.ONE_SHOT)), guard.candidates());
    PruneOptions uniform = guard.optionsFor(guard.candidates().get(1), "embedding", Set.of());
    assertEquals("uniform", uniform.allocator());
    assertEquals(Map.of("scorer.dampening", "0.02"), uniform.params());
    assertEquals(3, uniform.seed());
    PruneOptions guarded = guard.optionsFor(guard.candidates().get(0), "embedding", Set.of(Evidence.PRUNED_LOSS));
    assertEquals(PARAMS, guarded.params());
  }
}
