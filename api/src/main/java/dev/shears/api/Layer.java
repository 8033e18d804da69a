package dev.shears.api;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.List;

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
   * The nodes that multiply by this weight, in graph order: usually one, for example
   * {@code /vision_model/encoder/layers.0/self_attn/q_proj/MatMul}. Node names are often
   * more telling than tensor names such as {@code onnx::MatMul_1116}.
   *
   * @return the consuming nodes' names; empty when unknown
   */
  default List<String> nodes() {
    return List.of();
  }

  /**
   * The run this layer is pruned in: its seed and the model's name.
   *
   * @return the context
   * @throws UnsupportedOperationException from a view that has none (test doubles)
   */
  default RunContext context() {
    throw new UnsupportedOperationException("this layer view carries no run context");
  }

  /**
   * The block this layer belongs to, for example {@code /vision_model/encoder/layers.3}.
   *
   * @return the block name
   */
  String block();

  /**
   * The residual sub-layer of {@link #block()} this layer lies in.
   *
   * @return the sub-layer; {@link SubLayer#UNKNOWN} when the view does not know it
   */
  default SubLayer subLayer() {
    return SubLayer.UNKNOWN;
  }

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
   * Wanda's norm is its square root. Every token of every sample counts, padding tokens
   * included (an attention mask is not applied).
   *
   * @return a new array of length {@link #columns()}
   * @throws IllegalStateException when no strategy declared {@link Evidence#ACTIVATION_NORMS}
   */
  double[] inputSquareSums();

  /**
   * Per input feature, the sum of {@code |x|} over every calibration token, padding tokens
   * included.
   *
   * @return a new array of length {@link #columns()}
   * @throws IllegalStateException when no strategy declared
   *     {@link Evidence#ACTIVATION_ABS_SUMS}
   */
  default double[] inputAbsSums() {
    throw new IllegalStateException("this layer view has no absolute sums");
  }

  /**
   * Per input feature, the largest {@code |x|} over every calibration token, padding tokens
   * included.
   *
   * @return a new array of length {@link #columns()}
   * @throws IllegalStateException when no strategy declared {@link Evidence#ACTIVATION_ABS_MAX}
   */
  default double[] inputAbsMax() {
    throw new IllegalStateException("this layer view has no absolute maxima");
  }

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
