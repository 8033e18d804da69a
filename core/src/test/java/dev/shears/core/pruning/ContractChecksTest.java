package dev.shears.core.pruning;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.shears.api.LayerTarget;
import dev.shears.api.MaskSelection;
import dev.shears.api.PruneResult;
import dev.shears.api.SparsityPattern;
import dev.shears.api.StrategyKind;
import dev.shears.core.PluginFailure;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.WeightLayout;
import dev.shears.core.onnx.DataType;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every check the pipeline makes on a strategy's answer, on hand-made answers for a 2 × 8
 * tensor: the answer that keeps the contract passes, and each way of breaking it is refused with
 * a message that names the strategy and what is wrong.
 */
class ContractChecksTest {
  private static final PluginFailure.Strategy SCORER =
      new PluginFailure.Strategy(StrategyKind.SCORER, "fake", "/p/fake.jar");
  private static final PluginFailure.Strategy ALLOCATOR =
      new PluginFailure.Strategy(StrategyKind.ALLOCATOR, "fake", "/p/fake.jar");
  private static final int ROWS = 2;
  private static final int COLUMNS = 8;
  private static final LayerTarget HALF = new LayerTarget(0.5, SparsityPattern.unstructured());
  private static final LayerTarget TWO_OF_FOUR = new LayerTarget(0.5, SparsityPattern.parse("2:4"));

  private static BitSet bits(int... indices) {
    BitSet b = new BitSet();
    for (int i : indices) {
      b.set(i);
    }
    return b;
  }

  private static String refusal(LayerTarget target, MaskSelection.Group group, PruneResult result) {
    PluginFailure e = assertThrows(PluginFailure.class,
        () -> ContractChecks.scorerResult(SCORER, "tensor W", ROWS, COLUMNS, target, group, result));
    return e.getMessage();
  }

  @Test
  void perRowNeedsTheFloorOfTheSparsityInEveryRow() {
    // four of eight in each row
    assertDoesNotThrow(() -> ContractChecks.scorerResult(SCORER, "tensor W", ROWS, COLUMNS, HALF,
        MaskSelection.Group.PER_ROW, new PruneResult(bits(0, 1, 2, 3, 8, 9, 10, 11), null)));
    // five in row 0, three in row 1: the right total, the wrong rows
    assertEquals("scorer 'fake' (from /p/fake.jar) pruned 5 weights in row 0 of tensor W; per-row sparsity 0.5"
        + " requires floor(8 x 0.5) = 4 in every row (a scorer that ranks the whole tensor declares"
        + " Scorer.group() PER_TENSOR)",
        refusal(HALF, MaskSelection.Group.PER_ROW, new PruneResult(bits(0, 1, 2, 3, 4, 8, 9, 10), null)));
  }

  @Test
  void perTensorNeedsTheFloorOfTheSparsityInAll() {
    assertDoesNotThrow(() -> ContractChecks.scorerResult(SCORER, "tensor W", ROWS, COLUMNS, HALF,
        MaskSelection.Group.PER_TENSOR, new PruneResult(bits(0, 1, 2, 3, 4, 5, 6, 7), null)));
    assertEquals("scorer 'fake' (from /p/fake.jar) pruned 7 weights of tensor W; per-tensor sparsity 0.5"
        + " requires floor(2 x 8 x 0.5) = 8",
        refusal(HALF, MaskSelection.Group.PER_TENSOR, new PruneResult(bits(0, 1, 2, 3, 4, 5, 6), null)));
  }

  @Test
  void nOfMNeedsExactlyMMinusNInEveryRun() {
    assertDoesNotThrow(() -> ContractChecks.scorerResult(SCORER, "tensor W", ROWS, COLUMNS, TWO_OF_FOUR,
        MaskSelection.Group.PER_ROW, new PruneResult(bits(0, 1, 6, 7, 9, 10, 12, 15), null)));
    // row 1's second run has three pruned
    assertEquals("scorer 'fake' (from /p/fake.jar) pruned 3 weights in columns 4..7 of row 1 of tensor W;"
        + " pattern 2:4 requires 2 in every run of 4 columns",
        refusal(TWO_OF_FOUR, MaskSelection.Group.PER_ROW, new PruneResult(bits(0, 1, 6, 7, 9, 10, 12, 13, 15), null)));
  }

  @Test
  void aTrailingPartialRunStaysDense() {
    // 2 x 6 under 2:4: columns 4..5 are a partial run
    PluginFailure e = assertThrows(PluginFailure.class, () -> ContractChecks.scorerResult(SCORER, "tensor W", 2, 6,
        TWO_OF_FOUR, MaskSelection.Group.PER_ROW, new PruneResult(bits(0, 1, 4, 6, 7), null)));
    assertEquals("scorer 'fake' (from /p/fake.jar) pruned 1 weights in columns 4..5 of row 0 of tensor W;"
        + " pattern 2:4 requires 0 in the trailing partial run, which stays dense", e.getMessage());
  }

  @Test
  void indicesOutsideTheTensorAreRefused() {
    assertEquals("scorer 'fake' (from /p/fake.jar) returned mask index 16 outside tensor W of 16 weights",
        refusal(HALF, MaskSelection.Group.PER_ROW, new PruneResult(bits(0, 1, 2, 3, 8, 9, 10, 16), null)));
  }

  @Test
  void updatedWeightsMustFitAndBeFiniteWhereKept() {
    BitSet half = bits(0, 1, 2, 3, 8, 9, 10, 11);
    assertEquals("scorer 'fake' (from /p/fake.jar) returned 15 updated weights for tensor W of 16 weights",
        refusal(HALF, MaskSelection.Group.PER_ROW, new PruneResult(half, new float[15])));
    float[] nanWherePruned = new float[16];
    nanWherePruned[0] = Float.NaN;
    assertDoesNotThrow(() -> ContractChecks.scorerResult(SCORER, "tensor W", ROWS, COLUMNS, HALF,
        MaskSelection.Group.PER_ROW, new PruneResult(half, nanWherePruned)));
    float[] infWhereKept = new float[16];
    infWhereKept[12] = Float.POSITIVE_INFINITY;
    assertEquals("scorer 'fake' (from /p/fake.jar) returned a non-finite updated weight (Infinity) at row 1,"
        + " column 4 of tensor W",
        refusal(HALF, MaskSelection.Group.PER_ROW, new PruneResult(half, infWhereKept)));
  }

  @Test
  void anAllocationCoversEveryBlockOnceWithinZeroToOne() {
    List<String> blocks = List.of("b0", "b1");
    Map<String, Double> good = new LinkedHashMap<>(Map.of("b1", 0.6, "b0", 0.4));
    assertEquals(List.of("b0", "b1"), List.copyOf(ContractChecks.allocation(ALLOCATOR, blocks, good).keySet()));

    assertEquals("allocator 'fake' (from /p/fake.jar) returned no allocation (null)",
        assertThrows(PluginFailure.class, () -> ContractChecks.allocation(ALLOCATOR, blocks, null)).getMessage());
    assertEquals("allocator 'fake' (from /p/fake.jar) gave block b1 sparsity null; every block needs a value in [0, 1)",
        assertThrows(PluginFailure.class,
            () -> ContractChecks.allocation(ALLOCATOR, blocks, Map.of("b0", 0.5))).getMessage());
    for (double bad : new double[] {1.0, -0.1, Double.NaN}) {
      assertEquals("allocator 'fake' (from /p/fake.jar) gave block b0 sparsity " + bad
          + "; every block needs a value in [0, 1)",
          assertThrows(PluginFailure.class,
              () -> ContractChecks.allocation(ALLOCATOR, blocks, Map.of("b0", bad, "b1", 0.5))).getMessage());
    }
    assertEquals("allocator 'fake' (from /p/fake.jar) gave a sparsity to unknown block 'b9' (the model's blocks are"
        + " b0 ... b1)",
        assertThrows(PluginFailure.class, () -> ContractChecks.allocation(ALLOCATOR, blocks,
            Map.of("b0", 0.5, "b1", 0.5, "b9", 0.5))).getMessage());
  }

  @Test
  void aSplitBlockNamesEveryLayerAndNotItself() {
    Map<String, List<PrunableTensor>> blocks = new LinkedHashMap<>();
    blocks.put("b0", List.of(tensor("q", "b0", 2, 2), tensor("down", "b0", 2, 4)));
    blocks.put("b1", List.of(tensor("t", "b1", 2, 2)));
    Map<String, Double> got = ContractChecks.perTensor(ALLOCATOR, blocks, Map.of("q", 0.25, "down", 0.625, "b1", 0.5));
    assertEquals(List.of("q", "down", "t"), List.copyOf(got.keySet()));
    assertEquals(0.25, got.get("q"));
    assertEquals(0.625, got.get("down"));
    assertEquals(0.5, got.get("t"), "a block named whole gives its sparsity to every layer");

    assertEquals("allocator 'fake' (from /p/fake.jar) split block b0 but gave its layer down sparsity null;"
        + " every layer of a split block needs a value in [0, 1)",
        assertThrows(PluginFailure.class,
            () -> ContractChecks.perTensor(ALLOCATOR, blocks, Map.of("q", 0.25, "b1", 0.5))).getMessage());
    assertEquals("allocator 'fake' (from /p/fake.jar) split block b0 but gave its layer down sparsity 1.0;"
        + " every layer of a split block needs a value in [0, 1)",
        assertThrows(PluginFailure.class, () -> ContractChecks.perTensor(ALLOCATOR, blocks,
            Map.of("q", 0.0, "down", 1.0, "b1", 0.5))).getMessage());
    assertEquals("allocator 'fake' (from /p/fake.jar) gave block b0 a sparsity and also split it among its layers",
        assertThrows(PluginFailure.class, () -> ContractChecks.perTensor(ALLOCATOR, blocks,
            Map.of("b0", 0.5, "q", 0.5, "down", 0.5, "b1", 0.5))).getMessage());
    assertEquals("allocator 'fake' (from /p/fake.jar) gave block b1 sparsity null; every block needs a value in [0, 1)",
        assertThrows(PluginFailure.class, () -> ContractChecks.perTensor(ALLOCATOR, blocks,
            Map.of("q", 0.5, "down", 0.5))).getMessage());
    assertEquals("allocator 'fake' (from /p/fake.jar) gave a sparsity to unknown block 'x' (the model's blocks are"
        + " b0 ... b1)",
        assertThrows(PluginFailure.class, () -> ContractChecks.perTensor(ALLOCATOR, blocks,
            Map.of("q", 0.5, "down", 0.5, "b1", 0.5, "x", 0.1))).getMessage());
  }

  private static PrunableTensor tensor(String name, String block, int rows, int columns) {
    return new PrunableTensor(name, 0, block, "", DataType.FLOAT, WeightLayout.OUT_IN, rows, columns, List.of());
  }
}
