package dev.shears.plugins;

import dev.shears.api.Block;
import dev.shears.api.Layer;
import java.util.List;

/**
 * An in-memory {@link Block} for tests.
 *
 * @param name the block name
 * @param tower the tower name
 * @param layers the layers
 * @param importance the zeroth-order importance
 */
public record TestBlock(String name, String tower, List<Layer> layers, double importance)
    implements Block {

  /**
   * A block of one {@code 1 × size} layer.
   *
   * @param name the block name
   * @param size its parameter count
   * @param importance its importance
   * @return the block
   */
  public static TestBlock sized(String name, int size, double importance) {
    return new TestBlock(
        name, "t", List.of(TestLayer.of(1, size, new float[size])), importance);
  }
}
