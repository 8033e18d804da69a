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
}
