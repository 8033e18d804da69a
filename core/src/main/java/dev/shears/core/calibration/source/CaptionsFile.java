package dev.shears.core.calibration.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a {@code captions.jsonl}: one JSON object per line, {@code {"image": "rel/path.png",
 * "text": "..."}}, either field may be absent but not both; blank lines are skipped, other fields
 * ignored. Image paths are relative to the file's folder. Bytes must be valid UTF-8.
 */
final class CaptionsFile {
  private CaptionsFile() {}

  /**
   * One caption line.
   *
   * @param line 1-based line number, for error messages
   * @param image the resolved image path, or {@code null}
   * @param text the caption, or {@code null}
   */
  record Entry(int line, Path image, String text) {}

  /** Reads at most {@code max} entries ({@code max <= 0}: all), in file order. */
  static List<Entry> read(Path file, int max) throws IOException {
    CharsetDecoder utf8 =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ObjectMapper json = new ObjectMapper();
    Path dir = file.toAbsolutePath().getParent();
    List<Entry> out = new ArrayList<>();
    // Lines are split on bytes and decoded one by one, so that an encoding error is reported
    // on its own line (a decoding Reader reads ahead and would blame an earlier one).
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      int lineNo = 0;
      boolean eof = false;
      while (!eof && (max <= 0 || out.size() < max)) {
        buf.reset();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
          buf.write(b);
        }
        eof = b == -1;
        if (eof && buf.size() == 0) {
          break;
        }
        lineNo++;
        String line;
        try {
          line = utf8.decode(ByteBuffer.wrap(buf.toByteArray())).toString();
        } catch (CharacterCodingException e) {
          throw new CalibrationDataException(file + ":" + lineNo + ": invalid UTF-8", e);
        }
        if (lineNo == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1); // a byte-order mark some editors write
        }
        if (line.isBlank()) {
          continue;
        }
        out.add(parse(json, line, file, lineNo, dir));
      }
    }
    return out;
  }

  private static Entry parse(ObjectMapper json, String line, Path file, int lineNo, Path dir) {
    String where = file + ":" + lineNo;
    JsonNode n;
    try {
      n = json.readTree(line);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new CalibrationDataException(
          where + ": not valid JSON (" + e.getOriginalMessage().replace('\n', ' ') + ")", e);
    }
    if (n == null || !n.isObject()) {
      throw new CalibrationDataException(where + ": expected a JSON object");
    }
    JsonNode image = n.get("image");
    JsonNode text = n.get("text");
    if (image != null && !image.isNull() && !image.isTextual()
        || text != null && !text.isNull() && !text.isTextual()) {
      throw new CalibrationDataException(where + ": \"image\" and \"text\" must be strings");
    }
    String img = image == null || image.isNull() ? null : image.asText();
    String txt = text == null || text.isNull() ? null : text.asText();
    if (img == null && txt == null) {
      throw new CalibrationDataException(where + ": line has neither \"image\" nor \"text\"");
    }
    Path imagePath = null;
    if (img != null) {
      try {
        imagePath = dir.resolve(img);
      } catch (java.nio.file.InvalidPathException e) {
        throw new CalibrationDataException(where + ": bad image path \"" + img + "\"", e);
      }
    }
    return new Entry(lineNo, imagePath, txt);
  }
}
