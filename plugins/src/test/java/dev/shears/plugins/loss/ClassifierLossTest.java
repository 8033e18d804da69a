package dev.shears.plugins.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.api.FloatTensor;
import dev.shears.api.ModelRun;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The classifier loss on numbers worked out by hand. */
class ClassifierLossTest {

  private static ModelRun run(float... logits) {
    return BuiltInLossesTest.run(Map.of("logits", FloatTensor.of(new long[] {2, 2}, logits)), null);
  }

  @Test
  void crossEntropyAgainstTheDensePredictions() {
    ClassifierLoss loss = new ClassifierLoss("logits");
    // dense predicts class 0 for row 0 and class 1 for row 1
    ModelRun dense = run(2, 0, 0, 3);
    // candidate rows: [1, 1] -> -log(1/2); [0, ln 3] -> -log(3/4)
    ModelRun candidate = run(1, 1, 0, (float) Math.log(3));
    double expected = (Math.log(2) + Math.log(4.0 / 3)) / 2;
    assertEquals(expected, loss.loss(candidate, dense), 1e-6);
    // at the dense weights the loss is the dense model's own cross-entropy, not zero
    assertEquals((Math.log(1 + Math.exp(-2)) + Math.log(1 + Math.exp(-3))) / 2, loss.loss(dense, dense), 1e-6);
  }

  @Test
  void appliesToModelsWithTheOutput() {
    assertTrue(new ClassifierLoss("logits").appliesTo(Set.of("logits")));
    assertFalse(new ClassifierLoss("logits").appliesTo(Set.of("last_hidden_state")));
  }
}
