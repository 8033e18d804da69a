package dev.shears.core.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shears.core.ShearsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A labelled evaluation folder, the layout of the bundled tinyclip-shapes {@code eval/}, or of
 * a BLIP-style image-text-matching set (no classes; captions with their hard negatives):
 *
 * <ul>
 *   <li>{@code prompts.json} (optional: without it, or without {@code "classes"}, there is no
 *       zero-shot classification): a JSON object with {@code "classes"}, the ordered list of class
 *       prompts (one text per class; zero-shot classification picks the prompt whose text
 *       embedding is closest to the image's), and optionally {@code "class_attributes"}, one
 *       object per class mapping attribute names to values (for example {@code {"size":
 *       "small", "colour": "red"}}), to score each attribute of the predicted class separately.
 *       Other keys are ignored.
 *   <li>{@code labels.jsonl}: one JSON object per line, one line per image: {@code "image"} (a
 *       path relative to the folder), {@code "label"} (the class prompt of its class, used as its
 *       caption for retrieval), optionally {@code "class_index"} (0-based index into {@code
 *       classes}; when absent, the class is the prompt equal to {@code label}) and optionally
 *       {@code "text"} (a caption other than the label for retrieval). Without classes, a line needs
 *       {@code "text"} (or {@code "label"}) as its caption. An optional {@code "negative_text"} is
 *       the image's hard negative for image-text matching (scored as "no match"); without one,
 *       another caption of the set stands in. Other fields are ignored; blank lines are skipped.
 * </ul>
 *
 * <p>A malformed file gives a one-line {@link ShearsException} naming the file and line.
 *
 * @param folder the folder
 * @param classes the class prompts
 * @param classAttributes per class, attribute name to value; empty when not given
 * @param items the labelled images, in file order
 */
public record EvalDataset(
    Path folder, List<String> classes, List<Map<String, String>> classAttributes, List<Item> items) {

  /**
   * One labelled image.
   *
   * @param image the image file
   * @param caption its caption (the label unless a {@code text} was given)
   * @param classIndex its class, or -1 when the set has no classes
   * @param line the line of labels.jsonl, for messages
   * @param negativeText its hard negative caption for image-text matching, or null
   */
  public record Item(Path image, String caption, int classIndex, int line, String negativeText) {}

  /** Reads a folder; {@code limit > 0} keeps only the first {@code limit} images. */
  public static EvalDataset read(Path folder, int limit) {
    if (!Files.isDirectory(folder)) {
      throw new ShearsException(folder + ": no such evaluation folder");
    }
    ObjectMapper json = new ObjectMapper();
    Path promptsFile = folder.resolve("prompts.json");
    JsonNode prompts = Files.exists(promptsFile) ? readJson(json, promptsFile)
        : json.createObjectNode();
    JsonNode cls = prompts.get("classes");
    if (cls != null && (!cls.isArray() || cls.isEmpty())) {
      throw new ShearsException(promptsFile + ": \"classes\" must be a non-empty list of class prompts");
    }
    if (cls == null) {
      cls = json.createArrayNode();
    }
    List<String> classes = new ArrayList<>();
    Map<String, Integer> byText = new HashMap<>();
    for (JsonNode c : cls) {
      if (!c.isTextual()) {
        throw new ShearsException(promptsFile + ": \"classes\" must hold strings, found " + c);
      }
      byText.putIfAbsent(c.asText(), classes.size());
      classes.add(c.asText());
    }
    List<Map<String, String>> attrs = new ArrayList<>();
    JsonNode ca = prompts.get("class_attributes");
    if (ca != null && !ca.isNull()) {
      if (!ca.isArray() || ca.size() != classes.size()) {
        throw new ShearsException(promptsFile + ": \"class_attributes\" must be a list of "
            + classes.size() + " objects, one per class");
      }
      for (JsonNode a : ca) {
        if (!a.isObject()) {
          throw new ShearsException(promptsFile + ": \"class_attributes\" entries must be objects");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          m.put(e.getKey(), e.getValue().asText());
        }
        attrs.add(m);
      }
    }
    Path labelsFile = folder.resolve("labels.jsonl");
    List<String> lines = readLines(labelsFile);
    List<Item> items = new ArrayList<>();
    for (int i = 0; i < lines.size() && (limit <= 0 || items.size() < limit); i++) {
      String line = lines.get(i);
      if (i == 0 && line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
      if (line.isBlank()) {
        continue;
      }
      String where = labelsFile + ":" + (i + 1);
      JsonNode n;
      try {
        n = json.readTree(line);
      } catch (IOException e) {
        throw new ShearsException(where + ": not valid JSON (" + oneLine(e) + ")", e);
      }
      if (n == null || !n.isObject()) {
        throw new ShearsException(where + ": expected a JSON object");
      }
      JsonNode image = n.get("image");
      JsonNode label = n.get("label");
      JsonNode text = n.get("text");
      if (image == null || !image.isTextual()) {
        throw new ShearsException(where + ": needs \"image\", a path relative to " + folder);
      }
      if (classes.isEmpty() && (label == null || !label.isTextual()) && (text == null || !text.isTextual())) {
        throw new ShearsException(where + ": needs \"text\", the image's caption");
      }
      if (!classes.isEmpty() && (label == null || !label.isTextual())) {
        throw new ShearsException(where + ": needs \"label\", the class prompt of the image");
      }
      int cls1;
      JsonNode index = n.get("class_index");
      if (classes.isEmpty()) {
        cls1 = -1;
      } else if (index != null && !index.isNull()) {
        if (!index.canConvertToInt() || index.asInt() < 0 || index.asInt() >= classes.size()) {
          throw new ShearsException(where + ": unknown class_index " + index + " (prompts.json has "
              + classes.size() + " classes)");
        }
        cls1 = index.asInt();
        if (!classes.get(cls1).equals(label.asText())) {
          throw new ShearsException(where + ": label '" + label.asText() + "' is not class "
              + cls1 + " of prompts.json ('" + classes.get(cls1) + "')");
        }
      } else {
        Integer c = byText.get(label.asText());
        if (c == null) {
          throw new ShearsException(where + ": unknown class '" + label.asText()
              + "' (not among the classes of prompts.json)");
        }
        cls1 = c;
      }
      Path img = folder.resolve(image.asText()).normalize();
      if (!Files.isRegularFile(img)) {
        throw new ShearsException(where + ": image " + img + " not found");
      }
      String caption = text != null && text.isTextual() ? text.asText() : label.asText();
      JsonNode negative = n.get("negative_text");
      if (negative != null && !negative.isNull() && !negative.isTextual()) {
        throw new ShearsException(where + ": \"negative_text\" must be a string");
      }
      items.add(new Item(img, caption, cls1, i + 1,
          negative == null || negative.isNull() ? null : negative.asText()));
    }
    if (items.isEmpty()) {
      throw new ShearsException(labelsFile + ": no labelled images");
    }
    return new EvalDataset(folder, List.copyOf(classes), List.copyOf(attrs), List.copyOf(items));
  }

  private static JsonNode readJson(ObjectMapper json, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ShearsException(file + ": no such file (an evaluation folder needs prompts.json "
          + "and labels.jsonl)");
    }
    try {
      JsonNode n = json.readTree(Files.readString(file, StandardCharsets.UTF_8));
      if (n == null || !n.isObject()) {
        throw new ShearsException(file + ": not a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw new ShearsException(file + ": not valid JSON (" + oneLine(e) + ")", e);
    }
  }

  private static List<String> readLines(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ShearsException(file + ": no such file (an evaluation folder needs labels.jsonl, and "
          + "prompts.json for zero-shot classification)");
    }
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ShearsException(file + ": cannot read (" + oneLine(e) + ")", e);
    }
  }

  private static String oneLine(Exception e) {
    String m = e instanceof com.fasterxml.jackson.core.JacksonException j ? j.getOriginalMessage()
        : e.getMessage();
    return String.valueOf(m).replace('\n', ' ').replace('\r', ' ');
  }

  /** The attribute names of the classes, in order, or none. */
  public List<String> attributeNames() {
    return classAttributes.isEmpty() ? List.of() : List.copyOf(classAttributes.get(0).keySet());
  }
}
