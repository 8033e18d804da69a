package dev.shears.core.calibration.source;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Tokenizes captions with the model's {@code tokenizer.json} (Hugging Face tokenizers, through
 * DJL), truncated and padded to one fixed length. Holds a native tokenizer: close it.
 */
final class TextEncoder implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final int length;

  /** Token ids, attention mask and token type ids of a batch, each {@code [n, length]}. */
  record Encoded(long[] inputIds, long[] attentionMask, long[] tokenTypeIds) {}

  private TextEncoder(HuggingFaceTokenizer tokenizer, int length) {
    this.tokenizer = tokenizer;
    this.length = length;
  }

  /**
   * Loads a tokenizer.
   *
   * @param file the tokenizer file, for error messages
   * @param tokenizerJson its content, already parsed
   * @param length the fixed number of tokens per text (see {@link TextLength})
   * @param padToken the pad token to use when the file has no padding section, or {@code null}
   */
  static TextEncoder load(Path file, JsonNode tokenizerJson, int length, String padToken)
      throws IOException {
    JsonNode json = withPadding(tokenizerJson, padToken);
    // DJL replaces the file's padding and truncation strategy with its options; keep the file's
    // pad token and force one fixed length.
    Map<String, String> options =
        Map.of(
            "addSpecialTokens", "true",
            "padding", "max_length",
            "truncation", "true",
            "maxLength", Integer.toString(length),
            "modelMaxLength", Integer.toString(length));
    byte[] bytes = new ObjectMapper().writeValueAsBytes(json);
    try {
      return new TextEncoder(
          HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), options), length);
    } catch (RuntimeException e) {
      // The native library reports a bad tokenizer file as a plain RuntimeException.
      throw new CalibrationDataException(
          file
              + ": cannot load tokenizer ("
              + String.valueOf(e.getMessage()).replace('\n', ' ')
              + ")",
          e);
    }
  }

  /**
   * Without a padding section the tokenizers library pads with id 0, whatever token that is;
   * transformers pads with the tokenizer's pad token, so put that token in a padding section.
   */
  private static JsonNode withPadding(JsonNode tokenizer, String padToken) {
    if (padToken == null
        || !tokenizer.path("padding").isMissingNode() && !tokenizer.path("padding").isNull()) {
      return tokenizer;
    }
    Long id = tokenId(tokenizer, padToken);
    if (id == null) {
      return tokenizer;
    }
    ObjectNode copy = tokenizer.deepCopy();
    ObjectNode padding = copy.putObject("padding");
    padding.putObject("strategy").put("Fixed", 1);
    padding.put("direction", "Right");
    padding.putNull("pad_to_multiple_of");
    padding.put("pad_id", id);
    padding.put("pad_type_id", 0);
    padding.put("pad_token", padToken);
    return copy;
  }

  private static Long tokenId(JsonNode tokenizer, String token) {
    for (JsonNode t : tokenizer.path("added_tokens")) {
      if (token.equals(t.path("content").asText(null)) && t.path("id").canConvertToLong()) {
        return t.get("id").asLong();
      }
    }
    JsonNode vocab = tokenizer.path("model").path("vocab");
    if (vocab.isObject() && vocab.path(token).canConvertToLong()) {
      return vocab.get(token).asLong();
    }
    return null;
  }

  /** The pad token named by tokenizer_config.json or special_tokens_map.json, if any. */
  static String padToken(JsonNode tokenizerConfig, JsonNode specialTokensMap) {
    for (JsonNode n :
        new JsonNode[] {tokenizerConfig.path("pad_token"), specialTokensMap.path("pad_token")}) {
      if (n.isTextual()) {
        return n.asText();
      }
      if (n.path("content").isTextual()) {
        return n.path("content").asText();
      }
    }
    return null;
  }

  /** Parses a JSON side file; a missing file reads as an empty object. */
  static JsonNode readJson(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return new ObjectMapper().createObjectNode();
    }
    try {
      JsonNode n = new ObjectMapper().readTree(Files.readString(file, StandardCharsets.UTF_8));
      if (n == null || !n.isObject()) {
        throw new CalibrationDataException(file + ": not a JSON object");
      }
      return n;
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new CalibrationDataException(
          file + ": not valid JSON (" + e.getOriginalMessage().replace('\n', ' ') + ")", e);
    }
  }

  /** Tokens per sample. */
  int length() {
    return length;
  }

  /** Tokenizes a batch of texts. */
  Encoded encode(List<String> texts) {
    Encoding[] enc = tokenizer.batchEncode(texts);
    int n = enc.length;
    long[] ids = new long[n * length];
    long[] mask = new long[n * length];
    long[] types = new long[n * length];
    for (int i = 0; i < n; i++) {
      long[] e = enc[i].getIds();
      if (e.length != length) {
        throw new IllegalStateException(
            "tokenizer gave " + e.length + " tokens, expected " + length);
      }
      System.arraycopy(e, 0, ids, i * length, length);
      System.arraycopy(enc[i].getAttentionMask(), 0, mask, i * length, length);
      System.arraycopy(enc[i].getTypeIds(), 0, types, i * length, length);
    }
    return new Encoded(ids, mask, types);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
