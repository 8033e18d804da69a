package dev.shears.core.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shears.core.ShearsException;
import dev.shears.core.calibration.Device;
import dev.shears.core.calibration.source.ModelInputEncoder;
import dev.shears.testdata.BundledModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluatorTest {
  static final Path TINY = BundledModels.tinyClip();
  @TempDir Path tmp;

  static EvalResult eval(Path model, Path reference, int limit) throws Exception {
    EvalDataset data = EvalDataset.read(TINY.resolve("eval"), limit);
    try (ModelRunner m = ModelRunner.open(model, Device.CPU);
        ModelRunner r = reference == null ? null : ModelRunner.open(reference, Device.CPU);
        ModelInputEncoder enc = ModelInputEncoder.open(TINY, m.inputs())) {
      return new Evaluator(64).evaluate(m, r, enc, data);
    }
  }

  @Test
  void denseReproducesTheReadmeFigures() throws Exception {
    JsonNode dense = new ObjectMapper().readTree(TINY.resolve("eval/dense_metrics.json").toFile());
    EvalResult r = eval(TINY.resolve("model.onnx"), null, 0);
    assertEquals(1000, r.images());
    assertEquals(360, r.classes());
    assertEquals(dense.get("zero_shot_acc").asDouble(), r.zeroShot().accuracy(), 0.005);
    for (String a : List.of("size", "colour", "shape", "position")) {
      assertEquals(dense.get("zero_shot_acc_" + a).asDouble(), r.zeroShot().attributes().get(a), 0.005, a);
    }
    assertEquals(dense.get("i2t_r1").asDouble(), r.retrieval().i2tR1(), 0.005);
    assertEquals(dense.get("t2i_r1").asDouble(), r.retrieval().t2iR1(), 0.005);
    assertTrue(r.retrieval().i2tR5() >= r.retrieval().i2tR1());
    assertNull(r.fidelity());
    assertNull(r.itmAccuracy());
  }

  @Test
  void prunedAgainstDenseReference() throws Exception {
    EvalResult r = eval(TINY.resolve("reference/wanda-0.5.onnx"), TINY.resolve("model.onnx"), 200);
    assertNotNull(r.fidelity());
    Fidelity.OutputFidelity img = r.fidelity().get("image_embeds");
    assertTrue(img.cosine() < 0.999 && img.cosine() > 0.9, "image_embeds cosine " + img.cosine());
    assertTrue(img.maxAbsDiff() > 0);
    assertNotNull(r.fidelity().get("logits_per_image").top1Agreement());
    assertTrue(r.zeroShot().accuracy() > 0.9 && r.zeroShot().accuracy() <= 1, "accuracy " + r.zeroShot().accuracy());
    assertTrue(r.zeroShotAgreement() > 0.9);
  }

  @Test
  void modelAgainstItselfIsExact() throws Exception {
    EvalResult r = eval(TINY.resolve("model.onnx"), TINY.resolve("model.onnx"), 40);
    for (Fidelity.OutputFidelity f : r.fidelity().values()) {
      assertEquals(1.0, f.cosine(), 1e-9);
      assertEquals(0.0, f.maxAbsDiff());
    }
    assertEquals(1.0, r.zeroShotAgreement());
  }

  @Test
  void missingLabelsIsOneLineNamingTheFile() throws Exception {
    Files.copy(TINY.resolve("eval/prompts.json"), tmp.resolve("prompts.json"));
    ShearsException e = assertThrows(ShearsException.class, () -> EvalDataset.read(tmp, 0));
    assertTrue(e.getMessage().contains(tmp.resolve("labels.jsonl").toString()), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void unknownClassNamesTheLine() throws Exception {
    Files.copy(TINY.resolve("eval/prompts.json"), tmp.resolve("prompts.json"));
    Files.copy(TINY.resolve("eval/00000.png"), tmp.resolve("a.png"));
    Files.writeString(tmp.resolve("labels.jsonl"), "{\"image\": \"a.png\", \"label\": \"a small red circle on the left\"}\n"
        + "{\"image\": \"a.png\", \"label\": \"a huge pink blob\"}\n");
    ShearsException e = assertThrows(ShearsException.class, () -> EvalDataset.read(tmp, 0));
    assertTrue(e.getMessage().contains("labels.jsonl:2: unknown class 'a huge pink blob'"), e.getMessage());
    Files.writeString(tmp.resolve("labels.jsonl"), "{\"image\": \"a.png\", \"label\": \"x\", \"class_index\": 999}\n");
    e = assertThrows(ShearsException.class, () -> EvalDataset.read(tmp, 0));
    assertTrue(e.getMessage().contains("labels.jsonl:1: unknown class_index 999"), e.getMessage());
  }

  @Test
  void retrievalCountsAnyItemWithTheSameCaption() {
    // Images 0 and 1 share caption "a"; image 0's best text is text 1 (also "a"): a hit.
    float[][] s = {{0.5f, 0.9f, 0.1f}, {0.9f, 0.5f, 0.1f}, {0.8f, 0.7f, 0.2f}};
    List<String> caps = List.of("a", "a", "b");
    assertEquals(2 / 3.0, RetrievalMetrics.imageToText(s, caps, 1), 1e-9);
    assertEquals(1.0, RetrievalMetrics.imageToText(s, caps, 3), 1e-9);
    // Text 2 ("b"): images score 0.1, 0.1, 0.2: image 2 is first, a hit; texts 0, 1: hits.
    assertEquals(1.0, RetrievalMetrics.textToImage(s, caps, 1), 1e-9);
  }
}
