package dev.shears.plugins.allocation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.api.Allocator;
import dev.shears.api.Block;
import dev.shears.api.Evidence;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.Layer;
import dev.shears.api.Params;
import dev.shears.api.SubLayer;
import dev.shears.api.ZerothOrderSettings;
import dev.shears.plugins.TestBlock;
import dev.shears.plugins.TestLayer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/** The sensitivity allocator's curves and budget split, on hand-computed examples (ALGORITHM.md §1c). */
class SensitivityAllocatorTest {
  private final SensitivityAllocatorProvider provider = new SensitivityAllocatorProvider();

  private Allocator create(Map<String, String> given) {
    return provider.create(Params.of("allocator.", provider.parameters(), given));
  }

  /** A block of one {@code 1 × size} layer whose loss increase is {@code curve}; it records what was asked. */
  private static final class CurveBlock implements Block {
    final String name;
    final List<Layer> layers;
    final DoubleUnaryOperator curve;
    final List<Double> asked = new ArrayList<>();

    CurveBlock(String name, int size, DoubleUnaryOperator curve) {
      this.name = name;
      this.layers = List.of(TestLayer.of(1, size, new float[size]));
      this.curve = curve;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String tower() {
      return "t";
    }

    @Override
    public List<Layer> layers() {
      return layers;
    }

    @Override
    public double importance() {
      throw new IllegalStateException("not gathered");
    }

    @Override
    public double lossIncrease(double sparsity) {
      asked.add(sparsity);
      return curve.applyAsDouble(sparsity);
    }
  }

  @Test
  void convexificationWorkedByHand() {
    // (0.2, 2.5) lies above the chord from (0.1, 1) to (0.3, 3) (which passes 2 there): dropped
    double[][] hull = LossCurves.convexify(new double[] {0.1, 0.2, 0.3}, new double[] {1, 2.5, 3});
    assertArrayEquals(new double[] {0.1, 0.3}, hull[0]);
    assertArrayEquals(new double[] {1, 3}, hull[1]);
    // the curve starts at the first point: with (0, 0) given, (0.1, 1) lies above the chord from
    // (0, 0) to (0.2, 1.2) (which passes 0.6 there): dropped
    hull = LossCurves.convexify(new double[] {0, 0.1, 0.2, 0.3}, new double[] {0, 1, 1.2, 3});
    assertArrayEquals(new double[] {0, 0.2, 0.3}, hull[0]);
    assertArrayEquals(new double[] {0, 1.2, 3}, hull[1]);
    // a negative increase counts as 0; (0.2, 0.2) lies above the chord (0.1, 0) - (0.3, 0.1)
    hull = LossCurves.convexify(new double[] {0.1, 0.2, 0.3}, new double[] {-0.5, 0.2, 0.1});
    assertArrayEquals(new double[] {0.1, 0.3}, hull[0]);
    assertArrayEquals(new double[] {0, 0.1}, hull[1]);
    // collinear corners are dropped, the first and last points always stay
    hull = LossCurves.convexify(new double[] {0.2, 0.3, 0.4}, new double[] {1, 1.5, 2});
    assertArrayEquals(new double[] {0.2, 0.4}, hull[0]);
    assertArrayEquals(new double[] {1, 2}, hull[1]);
    // a first piece that falls (noise) is convex and stays: it is the cheapest to take
    hull = LossCurves.convexify(new double[] {0.4, 0.5, 0.6}, new double[] {0.3, 0.1, 0.4});
    assertArrayEquals(new double[] {0.4, 0.5, 0.6}, hull[0]);
    assertArrayEquals(new double[] {0.3, 0.1, 0.4}, hull[1]);
  }

  @Test
  void noBlockGoesBelowItsLowestMeasuredSparsity() {
    // both start at 0.4 (80 of the 200-weight budget's 100); a's piece costs 0.1/20 = 0.005 per
    // weight, b's 0.4/20 = 0.02 (its corner (0.5, 0.2) is on the chord): a takes the other 20
    double[][][] curves = {
        LossCurves.convexify(new double[] {0.4, 0.5, 0.6}, new double[] {0, 0.05, 0.1}),
        LossCurves.convexify(new double[] {0.4, 0.5, 0.6}, new double[] {0, 0.2, 0.4})};
    double[] s = LossCurves.solve(new long[] {100, 100}, curves, 0.5);
    assertEquals(0.6, s[0], 1e-12);
    assertEquals(0.4, s[1], 1e-12);
    // a target below where the curves start cannot be met
    assertThrows(IllegalArgumentException.class, () -> LossCurves.solve(new long[] {100, 100}, curves, 0.3));
    // however steep a block's curve, it stays at the grid's lowest point, not 0
    Map<String, Double> a = create(Map.of()).allocate(List.of(new CurveBlock("flat", 100, x -> 0),
        new CurveBlock("cliff", 100, x -> 1e6 * x)), 0.5);
    assertEquals(0.4, a.get("cliff"), 1e-12);
    assertEquals(0.6, a.get("flat"), 1e-12);
  }

  @Test
  void solverWorkedByHandSharesTiedPiecesAndMeetsTheBudgetExactly() {
    // a (N = 100): pieces cost 0.4/40 = 0.01, 0.6/20 = 0.03, 1.6/20 = 0.08 per weight;
    // b (N = 200): 0.8/100 = 0.008, 1.2/40 = 0.03. Budget 0.5 × 300 = 150: b's first piece
    // (100), a's first (40), then 10 of the tied 0.03 pieces (20 + 40 weights), a sixth of each:
    // a = 0.4 + 0.2/6, b = 0.5 + 0.2/6.
    double[][][] curves = {
        {{0, 0.4, 0.6, 0.8}, {0, 0.4, 1.0, 2.6}},
        {{0, 0.5, 0.7}, {0, 0.8, 2.0}}};
    double[] s = LossCurves.solve(new long[] {100, 200}, curves, 0.5);
    assertEquals(0.4 + 0.2 / 6, s[0], 1e-12);
    assertEquals(0.5 + 0.2 / 6, s[1], 1e-12);
    assertEquals(150, 100 * s[0] + 200 * s[1], 1e-9);
  }

  @Test
  void steeperBlockGetsLowerSparsityAndTheBudgetIsExact() {
    CurveBlock gentle = new CurveBlock("gentle", 100, x -> x);
    CurveBlock steep = new CurveBlock("steep", 100, x -> 2 * x);
    // linear curves: the gentle block takes every weight up to the grid's top (0.6) first
    Map<String, Double> s = create(Map.of()).allocate(List.of(gentle, steep), 0.5);
    assertEquals(0.6, s.get("gentle"), 1e-12);
    assertEquals(0.4, s.get("steep"), 1e-12);

    List<Block> blocks = List.of(new CurveBlock("a", 300, x -> 3 * x * x), new CurveBlock("b", 100, x -> x * x),
        new CurveBlock("c", 250, x -> 5 * x * x * x), new CurveBlock("d", 50, x -> Math.exp(4 * x) - 1));
    for (double target : new double[] {0.3, 0.5, 0.7}) {
      Map<String, Double> got = create(Map.of()).allocate(blocks, target);
      double removed = 0;
      for (Block b : blocks) {
        removed += b.parameterCount() * got.get(b.name());
      }
      assertEquals(target * 700, removed, 1e-9, "exact budget at " + target);
    }
  }

  @Test
  void choicesRiseWithTheTarget() {
    double[] xs = {0, 0.1, 0.3, 0.5, 0.7, 0.9};
    double[][][] curves = {
        LossCurves.convexify(xs, new double[] {0, 0.01, 0.05, 0.2, 0.6, 2.0}),
        LossCurves.convexify(xs, new double[] {0, 0.1, 0.2, 0.35, 0.9, 1.0}),
        LossCurves.convexify(xs, new double[] {0, 0.0, 0.01, 0.02, 0.5, 5.0})};
    long[] sizes = {400, 100, 250};
    double[] previous = new double[3];
    for (int step = 1; step <= 17; step++) {
      double target = step * 0.05;
      double[] s = LossCurves.solve(sizes, curves, target);
      double removed = 0;
      for (int g = 0; g < 3; g++) {
        assertTrue(s[g] >= previous[g] - 1e-12, "block " + g + " at " + target);
        removed += sizes[g] * s[g];
      }
      assertEquals(target * 750, removed, 1e-9);
      previous = s;
    }
  }

  @Test
  void flatCurvesGiveUniform() {
    List<Block> blocks = List.of(new CurveBlock("a", 100, x -> 0), new CurveBlock("b", 300, x -> 0),
        new CurveBlock("c", 50, x -> -1e-3)); // noise below zero is flat too
    Map<String, Double> s = create(Map.of()).allocate(blocks, 0.6);
    for (Block b : blocks) {
      assertEquals(0.6, s.get(b.name()), 1e-12, b.name());
    }
  }

  @Test
  void identicalCurvesGiveUniform() {
    List<Block> blocks = List.of(new CurveBlock("a", 100, x -> x * x), new CurveBlock("b", 100, x -> x * x));
    Map<String, Double> s = create(Map.of()).allocate(blocks, 0.55);
    assertEquals(0.55, s.get("a"), 1e-12);
    assertEquals(0.55, s.get("b"), 1e-12);
  }

  @Test
  void measuresTheClippedGridOncePerPoint() {
    SensitivityAllocator defaults = (SensitivityAllocator) create(Map.of());
    assertArrayEquals(new double[] {0.6, 0.65, 0.7, 0.75, 0.8}, defaults.grid(0.7));
    assertEquals(5, defaults.lossEvaluationsPerBlock(0.5));
    Map<String, String> wide = Map.of("grid", "-0.2,-0.1,0,+0.1,0.2");
    SensitivityAllocator a = (SensitivityAllocator) create(wide);
    assertArrayEquals(new double[] {0.5, 0.6, 0.7, 0.8, 0.9}, a.grid(0.7));
    assertArrayEquals(new double[] {0.7, 0.8, 0.9, 0.99}, a.grid(0.9));
    assertArrayEquals(new double[] {0.1, 0.2, 0.3}, a.grid(0.1), "0 is not measured");
    SensitivityAllocator capped = (SensitivityAllocator) create(Map.of("grid", "-0.2,-0.1,0,+0.1,0.2",
        "maxSparsityDelta", "0.05"));
    assertArrayEquals(new double[] {0.3, 0.4, 0.5, 0.55}, capped.grid(0.5));

    CurveBlock b = new CurveBlock("b", 100, x -> x * x);
    CurveBlock c = new CurveBlock("c", 100, x -> 2 * x * x);
    Map<String, Double> s = capped.allocate(List.of(b, c), 0.5);
    assertEquals(List.of(0.3, 0.4, 0.5, 0.55), b.asked);
    assertTrue(s.get("b") <= 0.55 + 1e-12 && s.get("b") > 0.5, s.toString());
    assertEquals(100, 100 * s.get("b") + 100 * s.get("c"), 1e-9);
  }

  @Test
  void declaresPrunedLossAndItsBatches() {
    Allocator a = create(Map.of("samples", "16", "batchSize", "4"));
    assertEquals(Set.of(Evidence.PRUNED_LOSS), a.evidence());
    assertEquals(16, a.zerothOrder().samples());
    assertEquals(4, a.zerothOrder().batchSize());
    assertEquals(128, create(Map.of()).zerothOrder().samples());
    assertEquals(ZerothOrderSettings.DEFAULTS.batchSize(), create(Map.of()).zerothOrder().batchSize());
  }

  @Test
  void refusesUnusableGrids() {
    assertThrows(InvalidConfigurationException.class, () -> create(Map.of("grid", "0.1,x")));
    assertThrows(InvalidConfigurationException.class, () -> create(Map.of("grid", "1.5")));
    assertThrows(InvalidConfigurationException.class, () -> create(Map.of("maxSparsityDelta", "-0.1")));
    Allocator below = create(Map.of("grid", "-0.2,-0.1"));
    assertThrows(InvalidConfigurationException.class,
        () -> below.allocate(List.of(new CurveBlock("a", 10, x -> x)), 0.5));
    Allocator above = create(Map.of("grid", "0.05,0.1"));
    InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
        () -> above.allocate(List.of(new CurveBlock("a", 10, x -> x)), 0.5));
    assertTrue(e.getMessage().contains("measures no sparsity at or below the target 0.5; add an offset <= 0"),
        e.getMessage());
    // an offset that reaches 0 starts the curves at (0, 0), which needs no measurement
    Map<String, Double> low = create(Map.of("grid", "-0.2,0,0.1")).allocate(
        List.of(new CurveBlock("a", 10, x -> x), new CurveBlock("b", 10, x -> 3 * x)), 0.1);
    assertEquals(0.2, low.get("a"), 1e-12);
    assertEquals(0.0, low.get("b"), 1e-12);
  }

  /** A layer with only a name, a shape and a sub-layer: all the split reads. */
  private record ShapedLayer(String name, int rows, int columns, SubLayer subLayer) implements Layer {
    @Override
    public String block() {
      return "b";
    }

    @Override
    public FloatBuffer weights() {
      throw new UnsupportedOperationException();
    }

    @Override
    public double[] inputSquareSums() {
      throw new UnsupportedOperationException();
    }

    @Override
    public DoubleBuffer inputGram() {
      throw new UnsupportedOperationException();
    }

    @Override
    public long tokens() {
      throw new UnsupportedOperationException();
    }
  }

  /** q: attention 4×4 (16), up: 8×4 (32), down: 4×8 (32), wide: attention reading 8 (4×8, 32). */
  private static Block transformerBlock(boolean withDown) {
    List<Layer> layers = new ArrayList<>(List.of(
        new ShapedLayer("q", 4, 4, SubLayer.ATTENTION),
        new ShapedLayer("wide", 4, 8, SubLayer.CROSS_ATTENTION),
        new ShapedLayer("up", 8, 4, SubLayer.FEED_FORWARD)));
    if (withDown) {
      layers.add(new ShapedLayer("down", 4, 8, SubLayer.FEED_FORWARD));
    }
    return new TestBlock("b", "t", layers, 0);
  }

  @Test
  void downProjectionsTakeTheShiftOfEveryOtherLayerByHand() {
    SensitivityAllocator a = (SensitivityAllocator) create(Map.of("downProjectionShift", "0.05"));
    Map<String, Double> out = new LinkedHashMap<>();
    // 112 weights at 0.5 = 56; the 80 others at 0.45 keep 36, so down (32) loses 20: 0.625
    a.split(transformerBlock(true), 0.5, out);
    assertEquals(Set.of("q", "wide", "up", "down"), out.keySet(), "the block is split, not named");
    assertEquals(0.45, out.get("q"), 1e-12);
    assertEquals(0.45, out.get("wide"), 1e-12, "an attention layer reading more than it writes is not one");
    assertEquals(0.45, out.get("up"), 1e-12);
    assertEquals(0.625, out.get("down"), 1e-12);
    // the count is the block's
    assertEquals(56, 16 * out.get("q") + 32 * out.get("wide") + 32 * out.get("up") + 32 * out.get("down"), 1e-9);

    // past 0.99 the down-projection stops there and the others take the rest:
    // shift 0.3 at 0.9 would give down 0.9 + 0.3 × 80 / 32 = 1.65; 0.99 × 32 = 31.68, so the
    // others remove 100.8 - 31.68 = 69.12 of 80: 0.864
    out.clear();
    ((SensitivityAllocator) create(Map.of("downProjectionShift", "0.3"))).split(transformerBlock(true), 0.9, out);
    assertEquals(0.99, out.get("down"), 1e-12);
    assertEquals(0.864, out.get("q"), 1e-12);

    // below 0 the others stop at 0: shift 0.05 at 0.02 leaves them dense and down at 0.07
    out.clear();
    a.split(transformerBlock(true), 0.02, out);
    assertEquals(0.0, out.get("up"), 1e-12);
    assertEquals(0.02 * 112 / 32, out.get("down"), 1e-12);
  }

  @Test
  void aBlockStaysWholeWithoutAShiftOrADownProjection() {
    Map<String, Double> out = new LinkedHashMap<>();
    ((SensitivityAllocator) create(Map.of("downProjectionShift", "0"))).split(transformerBlock(true), 0.5, out);
    assertEquals(Map.of("b", 0.5), out);
    out.clear();
    ((SensitivityAllocator) create(Map.of())).split(transformerBlock(false), 0.5, out);
    assertEquals(Map.of("b", 0.5), out);
    // the default shift is the measured 0.05, and a whole allocation splits every block
    Block measured = new Block() {
      @Override
      public String name() {
        return "b";
      }

      @Override
      public String tower() {
        return "t";
      }

      @Override
      public List<Layer> layers() {
        return transformerBlock(true).layers();
      }

      @Override
      public double importance() {
        throw new IllegalStateException("not gathered");
      }

      @Override
      public double lossIncrease(double sparsity) {
        return sparsity;
      }
    };
    Map<String, Double> all = create(Map.of()).allocate(List.of(measured), 0.5);
    assertEquals(0.625, all.get("down"), 1e-12);
    assertThrows(InvalidConfigurationException.class, () -> create(Map.of("downProjectionShift", "1")));
  }
}
