package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shears.api.SparsityPattern;
import dev.shears.core.calibration.CalibrationBatch;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.CalibrationSource;
import dev.shears.core.calibration.HostTensor;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.pruning.AutoSearch;
import dev.shears.core.pruning.Mode;
import dev.shears.core.pruning.PruneJob;
import dev.shears.core.pruning.PruneOptions;
import dev.shears.core.progress.Progress;
import dev.shears.core.strategy.StrategyRegistry;
import dev.shears.testdata.BundledModels;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shears prune --strategy auto} on the bundled tinyclip-shapes model, with real ONNX
 * Runtime: end to end, against the candidates pruned one by one through the ordinary prune path
 * and scored here by hand, deterministic, and its usage errors.
 */
class AutoStrategyTest {
  static final Path TINY = BundledModels.tinyClip();
  /** 64 samples: the last 16 (one contrastive batch, a quarter) held out, 48 to prune with. */
  static final int SAMPLES = 64;
  static final int HELD_OUT = 16;

  @TempDir Path tmp;

  private static CliRun auto(Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("prune", TINY.resolve("model.onnx").toString(), "-o", out.toString(),
        "--calib", TINY.resolve("calib").toString(), "--calib-samples", String.valueOf(SAMPLES),
        "--sparsity", "0.7", "--device", "cpu", "--strategy", "auto"));
    args.addAll(List.of(extra));
    return CliRun.of(args.toArray(String[]::new));
  }

  /**
   * End to end, and the winner is the best candidate by held-out loss when each candidate is pruned
   * separately by the ordinary prune path with the first 48 samples ({@code --calib-samples 48})
   * and its held-out loss computed here from the written file's outputs on the last 16 samples.
   * The table's losses are those losses, and the winner's is the written model's.
   */
  @Test
  void winnerIsTheBestCandidateRunByHand() throws Exception {
    Path out = tmp.resolve("auto.onnx");
    Path report = tmp.resolve("auto.json");
    CliRun r = auto(out, "--report", report.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("strategy auto: 6 candidates"), r.out());
    assertTrue(r.out().contains("<- winner"), r.out());
    assertTrue(r.out().contains("held-out loss"), r.out());

    JsonNode search = new ObjectMapper().readTree(report.toFile()).get("search");
    assertEquals(HELD_OUT, search.get("heldOutSamples").asInt());
    assertEquals(SAMPLES - HELD_OUT, search.get("fitSamples").asInt());
    assertEquals("contrastive", search.get("loss").asText());
    JsonNode rows = search.get("candidates");
    assertEquals(6, rows.size());

    List<Map<String, HostTensor>> heldOut = heldOutBatches();
    double dense = contrastive(TINY.resolve("model.onnx"), heldOut);
    assertEquals(dense, search.get("denseLoss").asDouble(), 1e-6 + 1e-4 * dense);

    StrategyRegistry registry = StrategyRegistry.load(AutoStrategyTest.class.getClassLoader());
    CalibrationConfig fit = new CalibrationConfig(TINY.resolve("calib"), null, CalibrationSources.Format.AUTO,
        SAMPLES - HELD_OUT, 16, "cpu");
    double bestByHand = Double.POSITIVE_INFINITY;
    int bestIndex = -1;
    String[][] candidates = {{"uniform", "wanda"}, {"uniform", "sparsegpt"}, {"ecoflap", "wanda"},
        {"ecoflap", "sparsegpt"}, {"sensitivity", "wanda"}, {"sensitivity", "sparsegpt"}};
    for (int i = 0; i < candidates.length; i++) {
      String allocator = candidates[i][0];
      String scorer = candidates[i][1];
      JsonNode row = rows.get(i);
      assertEquals(allocator, row.get("allocator").asText());
      assertEquals(scorer, row.get("scorer").asText());
      assertEquals("one-shot", row.get("mode").asText());
      Path alone = tmp.resolve(allocator + "-" + scorer + ".onnx");
      PruneOptions options = new PruneOptions(0.7, SparsityPattern.parse("unstructured"), scorer, allocator, null,
          Map.of(), Mode.ONE_SHOT, 0);
      new PruneJob(TINY.resolve("model.onnx"), alone, null, SelectionRules.DEFAULT, options, ExternalDataPolicy.AUTO)
          .run(registry, Progress.NONE, model -> fit.open(model, Progress.NONE));
      double byHand = contrastive(alone, heldOut);
      double inTable = row.get("heldOutLoss").asDouble();
      assertEquals(byHand, inTable, 1e-6 + 1e-3 * byHand, allocator + " + " + scorer);
      assertEquals(inTable - search.get("denseLoss").asDouble(), row.get("lossIncrease").asDouble(), 1e-12);
      if (byHand < bestByHand) {
        bestByHand = byHand;
        bestIndex = i;
      }
    }
    for (int i = 0; i < rows.size(); i++) {
      assertEquals(i == bestIndex, rows.get(i).get("winner").asBoolean(), "winner by hand is candidate " + (bestIndex + 1)
          + "\n" + r.out());
    }
    assertEquals(candidates[bestIndex][0], search.get("winner").get("allocator").asText());
    assertEquals(candidates[bestIndex][1], search.get("winner").get("scorer").asText());
    // the cost against one prune with the defaults (the sensitivity and uniform sparsegpt
    // candidates' shares together: the defaults guard sensitivity's allocation with uniform's)
    assertEquals(search.get("seconds").asDouble() / search.get("defaultAloneSeconds").asDouble(),
        search.get("costInDefaultPrunes").asDouble(), 0.01);
    assertTrue(r.out().contains("x one prune with the defaults (sensitivity + sparsegpt, one-shot, guarded by uniform: "),
        r.out());
    // the file written is the winner's: its held-out loss is the table's
    assertEquals(rows.get(bestIndex).get("heldOutLoss").asDouble(), contrastive(out, heldOut), 1e-7);
    assertArrayEquals(Files.readAllBytes(tmp.resolve(candidates[bestIndex][0] + "-" + candidates[bestIndex][1] + ".onnx")),
        Files.readAllBytes(out), "the written model is the winner's prune from the first 48 samples");
  }

  @Test
  void deterministic() throws Exception {
    Path a = tmp.resolve("a.onnx");
    Path b = tmp.resolve("b.onnx");
    CliRun first = auto(a, "--quiet");
    assertEquals(0, first.exitCode(), first.err());
    CliRun second = auto(b, "--quiet");
    assertEquals(0, second.exitCode(), second.err());
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "two runs wrote different models");
    assertEquals(table(first.out()), table(second.out()));
  }

  /** The table's rows without the seconds column. */
  private static List<String> table(String out) {
    return out.lines().filter(l -> l.matches("\\s+\\d .*")).map(l -> l.replaceAll("\\s+\\d+\\.\\d{3}(  <- winner)?$", "$1"))
        .toList();
  }

  /** An explicit --scorer fixes that dimension; an N:M pattern searches the scorers only. */
  @Test
  void explicitDimensionsAndPatterns() {
    var opts = new PruneOptions(0.7, SparsityPattern.parse("unstructured"), "sparsegpt", "ecoflap", null, Map.of(),
        Mode.ONE_SHOT, 0);
    assertEquals(List.of(new AutoSearch.Candidate("uniform", "sparsegpt", Mode.ONE_SHOT),
        new AutoSearch.Candidate("ecoflap", "sparsegpt", Mode.ONE_SHOT),
        new AutoSearch.Candidate("sensitivity", "sparsegpt", Mode.ONE_SHOT)),
        AutoSearch.candidates(opts, AutoSearch.ALLOCATORS, List.of("sparsegpt"), Mode.ONE_SHOT));
    var nm = new PruneOptions(0.5, SparsityPattern.parse("2:4"), "wanda", "ecoflap", null, Map.of(), Mode.ONE_SHOT, 0);
    assertEquals(List.of(new AutoSearch.Candidate(null, "wanda", Mode.ONE_SHOT),
        new AutoSearch.Candidate(null, "sparsegpt", Mode.ONE_SHOT)),
        AutoSearch.candidates(nm, AutoSearch.ALLOCATORS, AutoSearch.SCORERS, Mode.ONE_SHOT));
    assertEquals(32, AutoSearch.heldOutCount(128, 16));
    assertEquals(16, AutoSearch.heldOutCount(40, 16));
    assertEquals(9, AutoSearch.heldOutCount(33, 8));
  }

  @Test
  void nmPatternSearchesScorersEndToEnd() throws Exception {
    Path out = tmp.resolve("nm.onnx");
    CliRun r = CliRun.of("prune", TINY.resolve("model.onnx").toString(), "-o", out.toString(),
        "--calib", TINY.resolve("calib").toString(), "--calib-samples", "32", "--pattern", "2:4", "--device", "cpu",
        "--strategy", "auto", "--quiet");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("strategy auto: 2 candidates"), r.out());
    assertTrue(r.out().contains("- (N:M)"), r.out());
    // no allocator runs under N:M, so no candidate is the defaults' configuration
    assertFalse(r.out().contains("one prune with the defaults"), r.out());
    try (OrtSession s = OrtEnvironment.getEnvironment().createSession(out.toString(), new OrtSession.SessionOptions())) {
      assertTrue(s.getOutputNames().contains("logits_per_image"));
    }
  }

  /** An explicit --scorer fixes that dimension: the allocators alone are searched. */
  @Test
  void explicitScorerIsKept() {
    CliRun r = CliRun.of("prune", TINY.resolve("model.onnx").toString(), "-o", tmp.resolve("s.onnx").toString(),
        "--calib", TINY.resolve("calib").toString(), "--calib-samples", "32", "--sparsity", "0.5", "--device", "cpu",
        "--scorer", "sparsegpt", "--strategy", "auto", "--quiet");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("strategy auto: 3 candidates pruned with the first 16 of 32"), r.out());
    assertEquals(3, r.out().lines().filter(l -> l.matches("\\s+\\d .* sparsegpt\\s+one-shot .*")).count(), r.out());
  }

  @Test
  void unknownStrategyIsAUsageError() {
    CliRun foo = CliRun.of("prune", TINY.resolve("model.onnx").toString(), "-o", tmp.resolve("x.onnx").toString(),
        "--calib", TINY.resolve("calib").toString(), "--sparsity", "0.5", "--strategy", "foo");
    assertEquals(2, foo.exitCode(), foo.err());
    assertEquals("shears: error: --strategy must be auto (the only search so far), got 'foo'", foo.errorLine());
    assertEquals(1, foo.err().lines().filter(l -> l.startsWith("shears: error")).count(), foo.err());
    assertTrue(Files.notExists(tmp.resolve("x.onnx")));
  }

  @Test
  void autoWithoutCalibrationIsAUsageError() {
    CliRun r = CliRun.of("prune", TINY.resolve("model.onnx").toString(), "-o", tmp.resolve("x.onnx").toString(),
        "--sparsity", "0.5", "--strategy", "auto");
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.errorLine().contains("--calib"), r.errorLine());
  }

  @Test
  void tooFewCalibrationSamplesIsAUsageError() {
    CliRun r = CliRun.of("prune", TINY.resolve("model.onnx").toString(), "-o", tmp.resolve("x.onnx").toString(),
        "--calib", TINY.resolve("calib").toString(), "--calib-samples", "20", "--sparsity", "0.7", "--device", "cpu",
        "--strategy", "auto");
    assertEquals(2, r.exitCode(), r.err());
    String line = r.errorLine();
    assertTrue(line.startsWith("shears: error: --calib: 20 calibration samples are too few for --strategy auto"), line);
    assertTrue(line.contains("give at least 32 samples"), line);
    assertTrue(Files.notExists(tmp.resolve("x.onnx")));
  }

  // ---------------------------------------------------------------- by hand

  /** The last 16 of the first 64 samples: the fourth batch of 16. */
  private static List<Map<String, HostTensor>> heldOutBatches() throws Exception {
    try (ModelFile model = ModelFile.read(TINY.resolve("model.onnx"))) {
      CalibrationSource source = CalibrationSources.open(TINY.resolve("calib"), TINY, CalibrationSources.Format.AUTO,
          SAMPLES, CalibrationConfig.inputSpecs(model));
      List<Map<String, HostTensor>> batches = new ArrayList<>();
      try (CalibrationSource.BatchReader reader = source.open(HELD_OUT)) {
        CalibrationBatch b;
        while ((b = reader.next()) != null) {
          batches.add(b.inputs());
        }
      }
      return batches.subList(batches.size() - 1, batches.size());
    }
  }

  /** CLIP's symmetric cross-entropy on the diagonal, from the model file's own outputs, in double. */
  private static double contrastive(Path modelFile, List<Map<String, HostTensor>> batches) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    double sum = 0;
    int samples = 0;
    try (OrtSession s = env.createSession(modelFile.toString(), new OrtSession.SessionOptions())) {
      for (Map<String, HostTensor> batch : batches) {
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try {
          for (HostTensor t : batch.values()) {
            if (!s.getInputNames().contains(t.name())) {
              continue;
            }
            feeds.put(t.name(), t.type() == HostTensor.ElementType.FLOAT
                ? OnnxTensor.createTensor(env, (FloatBuffer) t.data().duplicate(), t.shape())
                : OnnxTensor.createTensor(env, (LongBuffer) t.data().duplicate(), t.shape()));
          }
          try (OrtSession.Result r = s.run(feeds)) {
            float[][] perImage = (float[][]) r.get("logits_per_image").orElseThrow().getValue();
            float[][] perText = (float[][]) r.get("logits_per_text").orElseThrow().getValue();
            int n = perImage.length;
            sum += (diagonalCrossEntropy(perImage) + diagonalCrossEntropy(perText)) / 2 * n;
            samples += n;
          }
        } finally {
          feeds.values().forEach(OnnxTensor::close);
        }
      }
    }
    return sum / samples;
  }

  private static double diagonalCrossEntropy(float[][] logits) {
    double total = 0;
    for (int i = 0; i < logits.length; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (float v : logits[i]) {
        max = Math.max(max, v);
      }
      double z = 0;
      for (float v : logits[i]) {
        z += Math.exp(v - max);
      }
      total += Math.log(z) + max - logits[i][i];
    }
    return total / logits.length;
  }
}
