package dev.shears.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A scorer written as one class: scores in, the lowest pruned, the shared group parameter. */
class ScoringScorerProviderTest {
  /** Scores each weight by its value (so the smallest values go), after a check. */
  static final class ByValue extends ScoringScorerProvider {
    ByValue() {
      super("by-value", "prunes the smallest values", ShearsApi.VERSION, Set.of(),
          ParamSpec.ofDouble("offset", 0, "added to every score"));
    }

    @Override
    protected void check(Params params) {
      if (params.getDouble("offset") < 0) {
        throw new IllegalArgumentException("offset must be at least 0");
      }
    }

    @Override
    protected float[] scores(Layer layer, Params params) {
      float[] s = new float[layer.rows() * layer.columns()];
      layer.weights().get(0, s);
      for (int i = 0; i < s.length; i++) {
        s[i] += (float) params.getDouble("offset");
      }
      return s;
    }
  }

  private static Layer layer(int rows, int columns, float... w) {
    return new Layer() {
      public String name() { return "w"; }
      public String block() { return "b"; }
      public int rows() { return rows; }
      public int columns() { return columns; }
      public FloatBuffer weights() { return FloatBuffer.wrap(w).asReadOnlyBuffer(); }
      public double[] inputSquareSums() { return null; }
      public DoubleBuffer inputGram() { return null; }
      public long tokens() { return 0; }
    };
  }

  private static Scorer create(Map<String, String> given) {
    ByValue p = new ByValue();
    return p.create(Params.of("scorer", p.parameters(), given));
  }

  private static BitSet bits(int... i) {
    BitSet b = new BitSet();
    for (int x : i) {
      b.set(x);
    }
    return b;
  }

  @Test
  void declaresItselfAndTheSharedGroupParameter() {
    ByValue p = new ByValue();
    assertEquals("by-value", p.name());
    assertEquals(ShearsApi.VERSION, p.apiVersion());
    assertEquals(List.of("offset", "group"), p.parameters().stream().map(ParamSpec::name).toList());
  }

  @Test
  void prunesTheLowestScoresPerRowByDefault() {
    // row 0: 4 3 2 1 -> 2 and 1 go; row 1: 1 2 3 4 -> 1 and 2 go
    Scorer s = create(Map.of());
    assertEquals(MaskSelection.Group.PER_ROW, s.group());
    PruneResult r = s.prune(layer(2, 4, 4, 3, 2, 1, 1, 2, 3, 4), new LayerTarget(0.5, SparsityPattern.unstructured()));
    assertEquals(bits(2, 3, 4, 5), r.pruned());
    assertEquals(null, r.updatedWeights());
  }

  @Test
  void perTensorAndNofMComeFromTheSharedSelection() {
    Layer skewed = layer(2, 2, 1, 2, 30, 40);
    Scorer s = create(Map.of("group", "per-tensor"));
    assertEquals(MaskSelection.Group.PER_TENSOR, s.group());
    assertEquals(bits(0, 1), s.prune(skewed, new LayerTarget(0.5, SparsityPattern.unstructured())).pruned());
    Layer row = layer(1, 4, 1, 9, 8, 2);
    assertEquals(bits(0, 3), create(Map.of()).prune(row, new LayerTarget(0.5, SparsityPattern.parse("2:4"))).pruned());
  }

  @Test
  void theCheckRefusesBeforeAnyLayer() {
    assertThrows(IllegalArgumentException.class, () -> create(Map.of("offset", "-1")));
  }
}
