package dev.shears.core.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.shears.api.StrategyKind;
import dev.shears.core.PluginFailure;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.WeightLayout;
import dev.shears.core.onnx.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class PluginFailureTest {
  private static final PluginFailure.Strategy WHO =
      new PluginFailure.Strategy(StrategyKind.SCORER, "boom", "/p/boom.jar");

  @Test
  void theCopiesConcurrencyMakesAreUnwrappedToWhatThePluginThrew() {
    IllegalStateException thrown = new IllegalStateException("deep");
    // ForkJoinTask rethrowing in another thread: new E(cause), or new E() with initCause
    assertSame(thrown, PluginFailure.unwrap(new IllegalStateException(thrown)));
    RuntimeException bare = new IllegalStateException();
    bare.initCause(thrown);
    assertSame(thrown, PluginFailure.unwrap(bare));
    assertSame(thrown, PluginFailure.unwrap(new CompletionException(new IllegalStateException(thrown))));
    // a plugin's own wrapping, with its own message, is what it threw: kept
    RuntimeException own = new RuntimeException("while scoring", thrown);
    assertSame(own, PluginFailure.unwrap(own));
  }

  @Test
  void oneLineWithTypeAndMessageOrTheTypeAlone() {
    assertEquals("scorer 'boom' (from /p/boom.jar) failed on tensor W: RuntimeException: boom",
        PluginFailure.threw(WHO, "on tensor W", new RuntimeException("boom")).getMessage());
    assertEquals("scorer 'boom' (from /p/boom.jar) failed in create: NullPointerException",
        PluginFailure.threw(WHO, "in create", new NullPointerException()).getMessage());
    assertEquals("scorer 'boom' (from /p/boom.jar) failed on tensor W: IllegalStateException: two lines",
        PluginFailure.threw(WHO, "on tensor W", new CompletionException(new IllegalStateException("two\nlines")))
            .getMessage());
    PluginFailure moved = PluginFailure.threw(WHO, "in loss()", new ArithmeticException("x")).at("on block B");
    assertEquals("scorer 'boom' (from /p/boom.jar) failed on block B: ArithmeticException: x", moved.getMessage());
    assertEquals(ArithmeticException.class, moved.getCause().getClass());
  }

  @Test
  void parallelWorkThrowsTheFailureOfTheFirstTensorInOrderEveryTime() {
    List<PrunableTensor> tensors = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      tensors.add(new PrunableTensor("t" + i, i, "b", "tower", DataType.FLOAT, WeightLayout.OUT_IN, 2, 2, List.of()));
    }
    for (int round = 0; round < 20; round++) {
      RuntimeException e = assertThrows(RuntimeException.class, () -> TensorPruning.inParallel(tensors, t -> {
        int i = Integer.parseInt(t.name().substring(1));
        LockSupport.parkNanos(ThreadLocalRandom.current().nextInt(200_000));
        if (i == 11 || i == 12 || i == 40 || i == 63) {
          throw new IllegalStateException("failed " + t.name());
        }
      }));
      assertEquals("failed t11", e.getMessage());
    }
  }
}
