package dev.shears.plugins.loss;

import dev.shears.api.CalibrationLoss;
import dev.shears.api.LossProvider;
import dev.shears.api.ParamSpec;
import dev.shears.api.Params;
import dev.shears.api.ShearsApi;
import java.util.List;

/** The built-in calibration losses, one provider each. */
public final class LossProviders {
  private LossProviders() {}

  /** {@code contrastive}: CLIP's symmetric InfoNCE. */
  public static final class Contrastive implements LossProvider {
    @Override
    public String name() {
      return "contrastive";
    }

    @Override
    public String description() {
      return "symmetric InfoNCE on logits_per_image / logits_per_text (CLIP-style dual encoders)";
    }

    @Override
    public List<ParamSpec> parameters() {
      return List.of();
    }

    @Override
    public int apiVersion() {
      return ShearsApi.VERSION;
    }

    @Override
    public CalibrationLoss create(Params params) {
      return new ContrastiveLoss();
    }
  }

  /** {@code itm}: BLIP's image-text matching cross-entropy. */
  public static final class Itm implements LossProvider {
    @Override
    public String name() {
      return "itm";
    }

    @Override
    public String description() {
      return "cross-entropy of an image-text-matching [batch, 2] output on matched and shuffled pairs (BLIP-style)";
    }

    @Override
    public List<ParamSpec> parameters() {
      return List.of(ParamSpec.ofString("output", "itm_logits", "the image-text-matching logits output"));
    }

    @Override
    public int apiVersion() {
      return ShearsApi.VERSION;
    }

    @Override
    public CalibrationLoss create(Params params) {
      return new ItmLoss(params.getString("output"));
    }
  }

  /** {@code classifier}: cross-entropy against the dense model's predicted classes. */
  public static final class Classifier implements LossProvider {
    @Override
    public String name() {
      return "classifier";
    }

    @Override
    public String description() {
      return "cross-entropy of a [batch, classes] logits output against the dense model's predictions (ViT/BERT classifiers)";
    }

    @Override
    public List<ParamSpec> parameters() {
      return List.of(ParamSpec.ofString("output", "logits", "the classification logits output"));
    }

    @Override
    public int apiVersion() {
      return ShearsApi.VERSION;
    }

    @Override
    public CalibrationLoss create(Params params) {
      return new ClassifierLoss(params.getString("output"));
    }
  }

  /** {@code embedding}: InfoNCE against the dense model's pooled embeddings. */
  public static final class Embedding implements LossProvider {
    @Override
    public String name() {
      return "embedding";
    }

    @Override
    public String description() {
      return "InfoNCE between pooled embeddings and the dense model's, for single-tower encoders (MiniLM, ViT)";
    }

    @Override
    public List<ParamSpec> parameters() {
      return List.of(
          ParamSpec.ofString("output", "", "output to pool (default: the model's first output)"),
          ParamSpec.ofDouble("temperature", 0.05, "softmax temperature of the similarity logits"));
    }

    @Override
    public int apiVersion() {
      return ShearsApi.VERSION;
    }

    @Override
    public CalibrationLoss create(Params params) {
      double t = params.getDouble("temperature");
      if (!(t > 0)) {
        throw new dev.shears.api.InvalidConfigurationException("parameter 'loss.temperature' must be positive, got " + t);
      }
      return new EmbeddingLoss(params.getString("output"), t);
    }
  }
}
