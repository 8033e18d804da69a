package dev.shears.core.evaluation;

import java.util.Map;

/**
 * What {@code shears eval} measured. Figures a model or dataset cannot give are {@code null}.
 *
 * @param model the evaluated model
 * @param reference the reference model, or {@code null}
 * @param data the evaluation folder
 * @param images labelled images used
 * @param classes class prompts
 * @param zeroShot zero-shot classification, or {@code null} when the model gives no image-text
 *     scores
 * @param retrieval image-text retrieval, or {@code null}
 * @param itmAccuracy image-text matching accuracy on matched and mismatched pairs, for models with
 *     an output whose name contains {@code itm}; else {@code null}
 * @param fidelity per output, against the reference; {@code null} without a reference
 * @param zeroShotAgreement fraction of images whose zero-shot class is the reference's
 * @param seconds wall time
 */
public record EvalResult(
    String model,
    String reference,
    String data,
    int images,
    int classes,
    ZeroShot zeroShot,
    Retrieval retrieval,
    Double itmAccuracy,
    Map<String, Fidelity.OutputFidelity> fidelity,
    Double zeroShotAgreement,
    double seconds) {

  /**
   * Zero-shot classification.
   *
   * @param accuracy the predicted class is the label's
   * @param attributes per attribute of {@code class_attributes}: the predicted class has the
   *     label's value
   */
  public record ZeroShot(double accuracy, Map<String, Double> attributes) {}

  /** Recall@1 and @5 image-to-text and text-to-image. */
  public record Retrieval(double i2tR1, double i2tR5, double t2iR1, double t2iR5) {}
}
