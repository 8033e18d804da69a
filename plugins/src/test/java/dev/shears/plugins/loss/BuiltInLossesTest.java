package dev.shears.plugins.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.api.FloatTensor;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.ModelRun;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The contrastive, ITM and embedding losses on numbers worked out by hand (ALGORITHM.md §1a). */
class BuiltInLossesTest {

  /** A run with the given outputs (name, shape, values) and an attention mask input. */
  static ModelRun run(Map<String, FloatTensor> outputs, FloatTensor mask) {
    return new ModelRun() {
      @Override
      public Set<String> outputNames() {
        return outputs.keySet();
      }

      @Override
      public FloatTensor output(String name) {
        FloatTensor t = outputs.get(name);
        if (t == null) {
          throw new IllegalArgumentException(name);
        }
        return t;
      }

      @Override
      public FloatTensor input(String name) {
        if (!name.equals("attention_mask") || mask == null) {
          throw new IllegalArgumentException(name);
        }
        return mask;
      }
    };
  }

  private static FloatTensor t(long[] shape, float... v) {
    return FloatTensor.of(shape, v);
  }

  @Test
  void contrastiveIsTheMeanOfBothDirectionsCrossEntropy() {
    // per image [[2, 0], [1, 1]]: rows -log softmax at the diagonal: log(1 + e^-2), log 2
    // per text  [[0, 0], [0, 3]]: log 2, log(1 + e^-3)
    Map<String, FloatTensor> out = new LinkedHashMap<>();
    out.put("logits_per_image", t(new long[] {2, 2}, 2, 0, 1, 1));
    out.put("logits_per_text", t(new long[] {2, 2}, 0, 0, 0, 3));
    ModelRun r = run(out, null);
    double i2t = (Math.log(1 + Math.exp(-2)) + Math.log(2)) / 2;
    double t2i = (Math.log(2) + Math.log(1 + Math.exp(-3))) / 2;
    assertEquals((i2t + t2i) / 2, new ContrastiveLoss().loss(r, r), 1e-9);
    assertTrue(new ContrastiveLoss().appliesTo(out.keySet()));
    assertFalse(new ContrastiveLoss().appliesTo(Set.of("logits_per_image")));
    assertEquals(16, new ContrastiveLoss().preferredBatchSize());
  }

  @Test
  void itmLabelsTheFirstHalfMatchedAndTheSecondHalfMismatched() {
    // rows: matched [0, 2] and [1, 1]; mismatched [3, 0] and [0, 0]
    ModelRun r = run(Map.of("itm_logits", t(new long[] {4, 2}, 0, 2, 1, 1, 3, 0, 0, 0)), null);
    double expected = (Math.log(1 + Math.exp(-2)) + Math.log(2) + Math.log(1 + Math.exp(-3)) + Math.log(2)) / 4;
    ItmLoss loss = new ItmLoss("itm_logits");
    assertEquals(expected, loss.loss(r, r), 1e-9);
    assertTrue(loss.needsMismatchedPairs());
    ModelRun odd = run(Map.of("itm_logits", t(new long[] {3, 2}, 0, 0, 0, 0, 0, 0)), null);
    assertThrows(InvalidConfigurationException.class, () -> loss.loss(odd, odd));
  }

  @Test
  void embeddingIsInfoNceBetweenCandidateAndDensePooledEmbeddings() {
    // [batch 2, tokens 2, dim 2]; sample 0 keeps both tokens, sample 1 only its first (mask)
    FloatTensor mask = t(new long[] {2, 2}, 1, 1, 1, 0);
    ModelRun dense = run(Map.of("last_hidden_state", t(new long[] {2, 2, 2}, 1, 0, 1, 0, 0, 1, 5, 5)), mask);
    // pooled dense: [1, 0] and [0, 1] (the masked token [5, 5] is ignored); candidate = dense
    double temperature = 0.5;
    EmbeddingLoss loss = new EmbeddingLoss("", temperature);
    // similarity logits / T: [[2, 0], [0, 2]] -> each row -log(e^2 / (e^2 + 1))
    double expected = Math.log(1 + Math.exp(-2));
    assertEquals(expected, loss.loss(dense, dense), 1e-9);
    // a candidate whose sample 0 points at sample 1's embedding: row 0 logits [0, 2]
    ModelRun swapped = run(Map.of("last_hidden_state", t(new long[] {2, 2, 2}, 0, 1, 0, 1, 0, 1, 0, 0)), mask);
    double worse = (Math.log(1 + Math.exp(2)) + Math.log(1 + Math.exp(-2))) / 2;
    assertEquals(worse, loss.loss(swapped, dense), 1e-9);
  }

  @Test
  void embeddingUsesBatchByDimOutputsAsTheyAreNormalised() {
    ModelRun r = run(Map.of("pooled", t(new long[] {2, 2}, 3, 4, 0, 2)), null);
    double[][] pooled = EmbeddingLoss.pooled(r, "pooled");
    assertArrayEquals(new double[] {0.6, 0.8}, pooled[0], 1e-9);
    assertArrayEquals(new double[] {0, 1}, pooled[1], 1e-9);
  }
}
