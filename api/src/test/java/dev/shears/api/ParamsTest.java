package dev.shears.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParamsTest {
  private static final List<ParamSpec> SPECS = List.of(
      ParamSpec.ofInt("blockSize", 128, "columns per block"),
      ParamSpec.ofDouble("dampening", 0.01, "added to the diagonal"),
      ParamSpec.ofBoolean("verbose", false, "say more"),
      ParamSpec.ofString("label", "none", "free text"),
      ParamSpec.ofChoice("group", "per-row", "who competes", "per-row", "per-tensor"));

  private static String error(Map<String, String> given) {
    return assertThrows(InvalidConfigurationException.class, () -> Params.of("scorer.", SPECS, given))
        .getMessage();
  }

  @Test
  void typedGettersGiveTheUsersValueOrTheDefault() {
    Params p = Params.of("scorer.", SPECS, Map.of("blockSize", " 64 ", "verbose", "true", "group", "per-tensor"));
    assertEquals(64, p.getInt("blockSize"));
    assertEquals(0.01, p.getDouble("dampening"));
    assertTrue(p.getBoolean("verbose"));
    assertEquals("none", p.getString("label"));
    assertEquals("per-tensor", p.getChoice("group"));
    assertEquals(Map.of("blockSize", "64", "group", "per-tensor", "verbose", "true"), p.explicitValues());
    assertEquals(List.of("blockSize", "dampening", "verbose", "label", "group"),
        List.copyOf(p.effectiveValues().keySet()));
    assertFalse(Params.defaults(SPECS).getBoolean("verbose"));
  }

  @Test
  void unknownKeysAreRejectedWithTheKnownOnes() {
    assertEquals("unknown parameter 'scorer.blocksize' (known: scorer.blockSize, scorer.dampening, "
        + "scorer.verbose, scorer.label, scorer.group)", error(Map.of("blocksize", "1")));
    assertEquals("unknown parameter 'x.y' (it takes no parameters)",
        assertThrows(InvalidConfigurationException.class, () -> Params.of("x.", List.of(), Map.of("y", "1")))
            .getMessage());
  }

  @Test
  void valuesOfTheWrongTypeAreRejected() {
    assertEquals("parameter 'scorer.blockSize' expects an integer, got '1.5'", error(Map.of("blockSize", "1.5")));
    assertEquals("parameter 'scorer.dampening' expects a finite number, got 'NaN'",
        error(Map.of("dampening", "NaN")));
    assertEquals("parameter 'scorer.verbose' expects true or false, got 'yes'", error(Map.of("verbose", "yes")));
    assertEquals("parameter 'scorer.group' must be one of per-row, per-tensor, got 'row'",
        error(Map.of("group", "row")));
  }

  @Test
  void readingAnUndeclaredKeyOrTheWrongTypeIsAProgrammingError() {
    Params p = Params.defaults(SPECS);
    assertThrows(IllegalStateException.class, () -> p.getInt("window"));
    assertThrows(IllegalStateException.class, () -> p.getDouble("blockSize"));
  }

  @Test
  void choiceDefaultsMustBeAChoice() {
    assertThrows(IllegalArgumentException.class, () -> ParamSpec.ofChoice("g", "x", "d", "a", "b"));
  }

  @Test
  void rangesAreCheckedWithOneLineNamingTheKeyAndTheRange() {
    List<ParamSpec> specs = List.of(
        ParamSpec.ofInt("window", 8, 1, 64, "columns compared together"),
        ParamSpec.ofDouble("alpha", 0.5, 0.0, Double.POSITIVE_INFINITY, "weight of the column term"),
        ParamSpec.ofDouble("beta", 0.5, Double.NEGATIVE_INFINITY, 1.0, "a fraction"),
        ParamSpec.ofLong("tokens", 5_000_000_000L, 1, Long.MAX_VALUE, "tokens to read"),
        ParamSpec.ofLong("seed", -1, "a seed"));
    java.util.function.Function<Map<String, String>, String> error = given ->
        assertThrows(InvalidConfigurationException.class, () -> Params.of("scorer.", specs, given)).getMessage();
    assertEquals("parameter 'scorer.window' must be in [1, 64], got '0'", error.apply(Map.of("window", "0")));
    assertEquals("parameter 'scorer.window' must be in [1, 64], got '65'", error.apply(Map.of("window", "65")));
    assertEquals("parameter 'scorer.alpha' must be at least 0.0, got '-0.1'", error.apply(Map.of("alpha", "-0.1")));
    assertEquals("parameter 'scorer.beta' must be at most 1.0, got '1.5'", error.apply(Map.of("beta", "1.5")));
    assertEquals("parameter 'scorer.tokens' must be in [1, 9223372036854775807], got '0'",
        error.apply(Map.of("tokens", "0")));
    assertEquals("parameter 'scorer.seed' expects an integer, got '1.5'", error.apply(Map.of("seed", "1.5")));

    Params p = Params.of("scorer.", specs, Map.of("window", "64", "alpha", "0", "tokens", "6000000000"));
    assertEquals(64, p.getInt("window"));
    assertEquals(0.0, p.getDouble("alpha"));
    assertEquals(6_000_000_000L, p.getLong("tokens"));
    assertEquals(-1L, p.getLong("seed"));
    assertEquals("in [1, 64]", Params.range(specs.get(0)));
    assertEquals("", Params.range(specs.get(4)));
  }

  @Test
  void rangesOnlyForNumbersAndNeverEmpty() {
    assertThrows(IllegalArgumentException.class, () -> ParamSpec.ofInt("k", 5, 10, 1, "empty range"));
    assertThrows(IllegalArgumentException.class, () -> new ParamSpec("s", ParamSpec.Type.STRING, "x", "text",
        List.of(), "1", null));
    assertThrows(IllegalArgumentException.class, () -> new ParamSpec("k", ParamSpec.Type.INT, "1", "int",
        List.of(), "1.5", null));
  }
}
