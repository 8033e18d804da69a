package dev.shears.core.calibration.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shears.core.calibration.HostTensor.ElementType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TextLengthTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final InputSpec DYNAMIC =
      new InputSpec("input_ids", ElementType.INT64, new long[] {-1, -1});
  private static final InputSpec FIXED16 =
      new InputSpec("input_ids", ElementType.INT64, new long[] {-1, 16});

  private static JsonNode json(String s) throws Exception {
    return JSON.readTree(s);
  }

  private static TextLength decide(String tok, String config, String tokConfig, InputSpec ids)
      throws Exception {
    return TextLength.decide(json(tok), json(config), json(tokConfig), ids, Path.of("m"));
  }

  @Test
  void precedence() throws Exception {
    String fixed =
        "{\"padding\": {\"strategy\": {\"Fixed\": 12}}, \"truncation\": {\"max_length\": 9}}";
    assertEquals(12, decide(fixed, "{}", "{}", DYNAMIC).length());
    String trunc = "{\"padding\": null, \"truncation\": {\"max_length\": 9}}";
    assertEquals(16, decide(trunc, "{}", "{}", FIXED16).length());
    assertEquals(9, decide(trunc, "{}", "{}", DYNAMIC).length());
    String none = "{\"padding\": null, \"truncation\": null}";
    String cfg = "{\"text_config\": {\"max_position_embeddings\": 77}}";
    assertEquals(77, decide(none, cfg, "{\"model_max_length\": 5}", DYNAMIC).length());
    assertEquals(5, decide(none, "{}", "{\"model_max_length\": 5}", DYNAMIC).length());
    assertThrows(
        CalibrationDataException.class,
        () -> decide(none, "{}", "{\"model_max_length\": 1e30}", DYNAMIC));
    assertThrows(CalibrationDataException.class, () -> decide(fixed, "{}", "{}", FIXED16));
  }
}
