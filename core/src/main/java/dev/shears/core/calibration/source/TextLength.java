package dev.shears.core.calibration.source;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/**
 * The sequence length texts are truncated and padded to, and where it came from.
 *
 * <p>Every sample of a batch needs the same length, and a model with a fixed sequence axis accepts
 * only that length. In order of precedence:
 *
 * <ol>
 *   <li>the fixed padding length in {@code tokenizer.json} ({@code "padding": {"strategy":
 *       {"Fixed": n}}}), what the model was trained and exported with; an error if the model input
 *       fixes a different length;
 *   <li>the model input's static sequence dimension;
 *   <li>{@code tokenizer.json}'s truncation {@code max_length};
 *   <li>{@code config.json}'s {@code text_config.max_position_embeddings} (or top-level {@code
 *       max_position_embeddings}), the longest sequence the model can embed;
 *   <li>{@code tokenizer_config.json}'s {@code model_max_length}, unless it is transformers'
 *       "unlimited" placeholder.
 * </ol>
 *
 * @param length tokens per sample
 * @param from where the length was taken from, for {@code describe()}
 */
record TextLength(int length, String from) {
  /** transformers writes 1e30 as model_max_length when a tokenizer sets none. */
  private static final long UNLIMITED = 1_000_000;

  static TextLength decide(
      JsonNode tokenizer, JsonNode config, JsonNode tokenizerConfig, InputSpec inputIds, Path dir) {
    long modelLen = inputIds.rank() >= 2 ? inputIds.dim(1) : -1;
    JsonNode fixed = tokenizer.path("padding").path("strategy").path("Fixed");
    if (fixed.canConvertToInt() && fixed.asInt() > 0) {
      int n = fixed.asInt();
      if (modelLen >= 0 && modelLen != n) {
        throw new CalibrationDataException(
            dir.resolve("tokenizer.json")
                + ": pads to "
                + n
                + " tokens but model input "
                + inputIds.name()
                + " has fixed length "
                + modelLen);
      }
      return new TextLength(n, "tokenizer.json padding");
    }
    if (modelLen > 0) {
      return new TextLength(Math.toIntExact(modelLen), "model input " + inputIds.name());
    }
    JsonNode trunc = tokenizer.path("truncation").path("max_length");
    if (trunc.canConvertToInt() && trunc.asInt() > 0) {
      return new TextLength(trunc.asInt(), "tokenizer.json truncation");
    }
    for (JsonNode n :
        new JsonNode[] {
          config.path("text_config").path("max_position_embeddings"),
          config.path("max_position_embeddings")
        }) {
      if (n.canConvertToInt() && n.asInt() > 0) {
        return new TextLength(n.asInt(), "config.json max_position_embeddings");
      }
    }
    JsonNode mml = tokenizerConfig.path("model_max_length");
    if (mml.isNumber() && mml.asDouble() > 0 && mml.asDouble() < UNLIMITED) {
      return new TextLength(mml.asInt(), "tokenizer_config.json model_max_length");
    }
    throw new CalibrationDataException(
        dir
            + ": cannot decide the text length: no fixed padding or truncation in tokenizer.json,"
            + " no static sequence axis on "
            + inputIds.name()
            + ", no max_position_embeddings in config.json");
  }
}
