package dev.shears.api;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * A read-only view of one prunable weight matrix and the evidence gathered for it.
 *
 * <p>Whatever the layout in the model file ({@code MatMul} {@code [in, out]}, {@code Gemm}
 * with {@code transB}), a layer is seen as {@link #rows()} output channels by
 * {@link #columns()} input features, row-major: weight {@code (r, c)} multiplies input
 * feature {@code c} on its way to output channel {@code r}. Weights are always given as
 * {@code float}, whatever the stored type (fp16 and bf16 are widened).
 */
public interface Layer {

  /**
   * The name of the weight tensor in the model.
   *
   * @return the tensor name
   */
  String name();

  /**
   * The block this layer belongs to, for example {@code /vision_model/encoder/layers.3}.
   *
   * @return the block name
   */
  String block();

  /**
   * The number of output channels.
   *
   * @return rows of the row-major view
   */
  int rows();

  /**
   * The number of input features.
   *
   * @return columns of the row-major view
   */
  int columns();

  /**
   * The weights, row-major {@code rows × columns}, as a read-only buffer: read with the
   * absolute {@code get(row * columns + column)}.
   *
   * @return a read-only buffer positioned at zero
   */
  FloatBuffer weights();

  /**
   * Per input feature, the sum of squares of that feature over every calibration token.
   * Wanda's norm is its square root.
   *
   * @return a new array of length {@link #columns()}
   * @throws IllegalStateException when no strategy declared {@link Evidence#ACTIVATION_NORMS}
   */
  double[] inputSquareSums();

  /**
   * The input Gram matrix {@code XᵀX} summed over every calibration token, row-major
   * {@code columns × columns}, read-only.
   *
   * @return a read-only buffer positioned at zero
   * @throws IllegalStateException when no strategy declared {@link Evidence#INPUT_GRAM}
   */
  DoubleBuffer inputGram();

  /**
   * The number of calibration tokens (rows of the layer's input) the statistics cover.
   *
   * @return the token count; zero when no statistics were gathered
   */
  long tokens();
}
