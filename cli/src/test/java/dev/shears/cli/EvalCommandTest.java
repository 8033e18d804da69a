package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shears.testdata.BundledModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {
  static final Path TINY = BundledModels.tinyClip();
  @TempDir Path tmp;

  @Test
  void jsonWithReferenceFindsSideFilesBesideTheReference() throws Exception {
    Cli r = Cli.run("eval", TINY.resolve("reference/wanda-0.5.onnx").toString(), "--data",
        TINY.resolve("eval").toString(), "--reference", TINY.resolve("model.onnx").toString(),
        "--limit", "64", "--json", "--quiet");
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals(64, j.get("images").asInt());
    assertTrue(j.at("/fidelity/image_embeds/cosine").asDouble() < 1);
    assertTrue(j.at("/zeroShot/accuracy").asDouble() > 0.9);
  }

  @Test
  void tablePrintsTheFigures() {
    Cli r = Cli.run("eval", TINY.resolve("model.onnx").toString(), "--data", TINY.resolve("eval").toString(),
        "--limit", "32", "--quiet");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("zero-shot accuracy") && r.out().contains("image->text R@1"), r.out());
  }

  @Test
  void missingLabelsExitsOneWithOneLine() throws Exception {
    Files.copy(TINY.resolve("eval/prompts.json"), tmp.resolve("prompts.json"));
    Cli r = Cli.run("eval", TINY.resolve("model.onnx").toString(), "--data", tmp.toString());
    assertEquals(1, r.code());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("labels.jsonl: no such file"), r.err());
  }

  @Test
  void unknownClassExitsOne() throws Exception {
    Files.copy(TINY.resolve("eval/prompts.json"), tmp.resolve("prompts.json"));
    Files.copy(TINY.resolve("eval/00000.png"), tmp.resolve("a.png"));
    Files.writeString(tmp.resolve("labels.jsonl"), "{\"image\": \"a.png\", \"label\": \"a purple elephant\"}\n");
    Cli r = Cli.run("eval", TINY.resolve("model.onnx").toString(), "--data", tmp.toString());
    assertEquals(1, r.code());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("labels.jsonl:1: unknown class 'a purple elephant'"), r.err());
  }

  @Test
  void missingDataIsAUsageError() {
    Cli r = Cli.run("eval", TINY.resolve("model.onnx").toString());
    assertEquals(2, r.code());
  }
}
