package dev.shears.core.strategy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.api.Evidence;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.Layer;
import dev.shears.api.LayerTarget;
import dev.shears.api.ParamSpec;
import dev.shears.api.Params;
import dev.shears.api.PruneResult;
import dev.shears.api.Scorer;
import dev.shears.api.ScorerProvider;
import dev.shears.api.ShearsApi;
import dev.shears.api.StrategyKind;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Declaration checks of the registry, on the providers listed in the {@code META-INF/services}
 * file under this package's {@code declarations} test resources, and only those (core's tests
 * also see the built-in plugins). The jar-level cases (failing constructors, API versions,
 * duplicates across jars) are tested through the CLI in {@code PluginSpiTest}.
 */
class StrategyRegistryTest {
  private final StrategyRegistry registry = StrategyRegistry.load(
      ServicesOnlyFrom.location(StrategyRegistryTest.class.getResource("declarations/")));

  @Test
  void wellDeclaredProvidersAreRegisteredAndBadlyDeclaredOnesRefused() {
    assertEquals(List.of("good"), registry.availableNames(StrategyKind.SCORER));
    List<String> problems = registry.problems();
    assertEquals(3, problems.size(), problems.toString());
    assertTrue(problems.get(0).matches("scorer 'twice' from .* declares parameter 'k' twice; skipped"),
        problems.get(0));
    assertTrue(problems.get(1).matches("scorer 'bad-default' from .* declares a default its own type "
        + "rejects: parameter 'k' expects an integer, got 'eight'; skipped"), problems.get(1));
    assertTrue(problems.get(2).matches("scorer 'bad-key' from .* declares an invalid parameter name "
        + "'a.b' \\(parameter names match \\[A-Za-z\\]\\[A-Za-z0-9_-\\]\\*\\); skipped"), problems.get(2));
    // Selecting a refused provider says why.
    String why = assertThrows(InvalidConfigurationException.class,
        () -> registry.scorer("twice", Map.of())).getMessage();
    assertEquals(problems.get(0), why);
  }

  @Test
  void anIllegalArgumentFromCreateBecomesAUsageError() {
    assertEquals(Set.of(), registry.scorer("good", Map.of("k", "3")).evidence());
    assertEquals("scorer 'good': k must be positive, got -1",
        assertThrows(InvalidConfigurationException.class, () -> registry.scorer("good", Map.of("k", "-1")))
            .getMessage());
  }

  /** A provider with one int parameter {@code k}. */
  public static class Good implements ScorerProvider {
    /** For ServiceLoader. */
    public Good() {}

    @Override
    public String name() {
      return "good";
    }

    @Override
    public String description() {
      return "test";
    }

    @Override
    public List<ParamSpec> parameters() {
      return List.of(ParamSpec.ofInt("k", 1, "a count"));
    }

    @Override
    public int apiVersion() {
      return ShearsApi.VERSION;
    }

    @Override
    public Scorer create(Params params) {
      int k = params.getInt("k");
      if (k <= 0) {
        throw new IllegalArgumentException("k must be positive, got " + k);
      }
      return new Scorer() {
        @Override
        public Set<Evidence> evidence() {
          return Set.of();
        }

        @Override
        public PruneResult prune(Layer layer, LayerTarget target) {
          return PruneResult.maskOnly(new BitSet());
        }
      };
    }
  }

  /** Declares {@code k} twice. */
  public static class Twice extends Good {
    @Override
    public String name() {
      return "twice";
    }

    @Override
    public List<ParamSpec> parameters() {
      return List.of(ParamSpec.ofInt("k", 1, "a"), ParamSpec.ofDouble("k", 1, "b"));
    }
  }

  /** An int parameter whose default is not an int. */
  public static class BadDefault extends Good {
    @Override
    public String name() {
      return "bad-default";
    }

    @Override
    public List<ParamSpec> parameters() {
      return List.of(new ParamSpec("k", ParamSpec.Type.INT, "eight", "a", List.of()));
    }
  }

  /** A parameter key that could not be typed as scorer.KEY=VALUE. */
  public static class BadKey extends Good {
    @Override
    public String name() {
      return "bad-key";
    }

    @Override
    public List<ParamSpec> parameters() {
      return List.of(ParamSpec.ofInt("a.b", 1, "a"));
    }
  }
}
