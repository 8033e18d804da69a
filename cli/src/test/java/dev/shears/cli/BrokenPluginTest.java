package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shears.api.ShearsApi;
import dev.shears.core.graph.Consumer;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ModelFile;
import dev.shears.testdata.BundledModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deliberately broken plugins, built at test time like a stranger's: each failure is one line
 * that names the strategy and its jar (and the tensor or block), exits 1 (2 for a plugin that
 * cannot be selected), writes no output, and reads the same with and without {@code --quiet}.
 */
class BrokenPluginTest {
  private static final String SCORERS = "dev.shears.api.ScorerProvider";
  private static final String ALLOCATORS = "dev.shears.api.AllocatorProvider";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static Path model;
  static PrunableTensor first;
  static String firstTensor;

  @BeforeAll
  static void findFirstTensor() throws IOException {
    model = BundledModels.tinyClip().resolve("model.onnx");
    try (ModelFile m = ModelFile.read(model)) {
      first = Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT).prunable().get(0);
    }
    firstTensor = "tensor " + first.name() + " (node "
        + first.consumers().stream().map(Consumer::node).collect(Collectors.joining(", ")) + ")";
  }

  // ---------------------------------------------------------------- plugin code that throws: exit 1

  @Test
  void scorerThrowingInPruneNamesScorerJarTensorAndNode() throws IOException {
    Path jar = scorerJar("boom", "throw new RuntimeException(\"boom\");");
    String want = "scorer 'boom' (from " + jar.toAbsolutePath() + ") failed on " + firstTensor
        + ": RuntimeException: boom";
    assertFailsWith(ShearsCommand.FAILURE, want, "--scorer", "boom", "--plugin-path", jar.toString());
  }

  @Test
  void messageLessExceptionShowsItsClassName() throws IOException {
    Path jar = scorerJar("npe", "throw new NullPointerException();");
    assertFailsWith(ShearsCommand.FAILURE, "scorer 'npe' (from " + jar.toAbsolutePath() + ") failed on "
        + firstTensor + ": NullPointerException", "--scorer", "npe", "--plugin-path", jar.toString());
  }

  @Test
  void failureInsideTheScorersOwnParallelStreamIsUnwrappedTheSameWayEveryRun() throws IOException {
    // ForkJoin copies an exception rethrown in another thread (message = the original's
    // toString()); the message must not depend on which thread threw.
    Path jar = scorerJar("deep", """
        java.util.stream.IntStream.range(0, 256).parallel().forEach(i -> {
          if (i % 3 == 1) { throw new IllegalStateException("deep " + layer.name()); }
        });
        return null;""");
    String want = "scorer 'deep' (from " + jar.toAbsolutePath() + ") failed on " + firstTensor
        + ": IllegalStateException: deep " + first.name();
    for (int i = 0; i < 4; i++) {
      assertFailsWith(ShearsCommand.FAILURE, want, "--scorer", "deep", "--plugin-path", jar.toString());
    }
  }

  @Test
  void scorerThrowingInCreateIsAFailureNamingItsJar() throws IOException {
    Path jar = PluginJars.build(dir.resolve("create-boom.jar"),
        Map.of("com.example.cb.P", scorerSource("com.example.cb", "create-boom",
            "if (true) { throw new IllegalStateException(\"licence server unreachable\"); }", "return null;")),
        Map.of(SCORERS, List.of("com.example.cb.P")));
    assertFailsWith(ShearsCommand.FAILURE, "scorer 'create-boom' (from " + jar.toAbsolutePath()
        + ") failed in create: IllegalStateException: licence server unreachable",
        "--scorer", "create-boom", "--plugin-path", jar.toString());
  }

  @Test
  void allocatorThrowingInAllocateNamesAllocatorAndJar() throws IOException {
    Path jar = allocatorJar("alloc-boom", "throw new UnsupportedOperationException(\"no blocks for me\");");
    assertFailsWith(ShearsCommand.FAILURE, "allocator 'alloc-boom' (from " + jar.toAbsolutePath()
        + ") failed in allocate (" + blockCount() + " blocks): UnsupportedOperationException: no blocks for me",
        "--scorer", "magnitude", "--allocator", "alloc-boom", "--plugin-path", jar.toString());
  }

  @Test
  void verboseAddsTheStackTraceOfThePluginsException() throws IOException {
    Path jar = scorerJar("boom2", "throw new RuntimeException(\"boom\");");
    Run run = prune("--scorer", "boom2", "--plugin-path", jar.toString(), "--verbose");
    assertEquals(ShearsCommand.FAILURE, run.code);
    assertTrue(run.err.contains("Caused by: java.lang.RuntimeException: boom"), run.err);
    assertTrue(run.err.contains("at com.example.boom2.P"), run.err);
    List<String> lines = run.errLines();
    assertTrue(lines.get(lines.size() - 1).startsWith("shears: error: scorer 'boom2' (from "), run.err);
  }

  @Test
  void lossThrowingNamesTheLossItsJarAndTheBlock() throws IOException {
    String pkg = "com.example.lossboom";
    String source = """
        package %s;

        import dev.shears.api.*;
        import java.util.List;
        import java.util.Set;

        public final class P implements LossProvider {
          public P() {}
          @Override public String name() { return "loss-boom"; }
          @Override public String description() { return "a broken test loss"; }
          @Override public List<ParamSpec> parameters() { return List.of(); }
          @Override public int apiVersion() { return ShearsApi.VERSION; }
          @Override public CalibrationLoss create(Params params) {
            return new CalibrationLoss() {
              @Override public boolean appliesTo(Set<String> outputs) { return true; }
              @Override public double loss(ModelRun candidate, ModelRun dense) {
                throw new ArithmeticException("boom");
              }
            };
          }
        }
        """.formatted(pkg);
    Path jar = PluginJars.build(dir.resolve("loss-boom.jar"), Map.of(pkg + ".P", source),
        Map.of("dev.shears.api.LossProvider", List.of(pkg + ".P")));
    String want = "loss 'loss-boom' (from " + jar.toAbsolutePath() + ") failed on block " + first.block()
        + " (perturbing tensor " + first.name() + "): ArithmeticException: boom";
    assertFailsWith(ShearsCommand.FAILURE, want, "--scorer", "magnitude", "--allocator", "ecoflap",
        "--loss", "loss-boom", "--plugin-path", jar.toString(), "--param", "allocator.samples=8",
        "--calib", BundledModels.tinyClip().resolve("calib").toString(), "--calib-samples", "8");
  }

  // ---------------------------------------------------------------- results that break the contract

  @Test
  void nanUpdatedWeightsAreRefused() throws IOException {
    Path jar = scorerJar("nan", """
        float[] w = new float[layer.rows() * layer.columns()];
        java.util.Arrays.fill(w, Float.NaN);
        return new PruneResult(MaskSelection.select(new float[w.length], layer.rows(), layer.columns(),
            target, MaskSelection.Group.PER_ROW), w);""");
    int perRow = first.columns() / 2;
    assertFailsWith(ShearsCommand.FAILURE, "scorer 'nan' (from " + jar.toAbsolutePath()
        + ") returned a non-finite updated weight (NaN) at row 0, column " + perRow + " of " + firstTensor,
        "--scorer", "nan", "--plugin-path", jar.toString());
  }

  @Test
  void lossMeasurementVariantMustBeAScorerReadingNoMoreEvidence() throws IOException {
    String prune = """
        return new PruneResult(MaskSelection.select(new float[layer.rows() * layer.columns()], layer.rows(),
            layer.columns(), target, MaskSelection.Group.PER_ROW), null);""";
    String calib = BundledModels.tinyClip().resolve("calib").toString();
    String[] sensitivity = {"--allocator", "sensitivity", "--param", "allocator.samples=8", "--calib", calib,
        "--calib-samples", "8"};
    String pkg = "com.example.novariant";
    Path none = PluginJars.build(dir.resolve("novariant.jar"), Map.of(pkg + ".P", scorerSource(pkg, "novariant", "",
        prune, "@Override public Scorer forLossMeasurements() { return null; }")), Map.of(SCORERS, List.of(pkg + ".P")));
    assertFailsWith(ShearsCommand.FAILURE, "scorer 'novariant' (from " + none.toAbsolutePath()
        + ") returned null from forLossMeasurements() (return this for no variant)",
        concat(new String[] {"--scorer", "novariant", "--plugin-path", none.toString()}, sensitivity));
    pkg = "com.example.greedy";
    Path greedy = PluginJars.build(dir.resolve("greedy.jar"), Map.of(pkg + ".P", scorerSource(pkg, "greedy", "",
        prune, """
            @Override public Scorer forLossMeasurements() {
              Scorer self = this;
              return new Scorer() {
                @Override public Set<Evidence> evidence() { return Set.of(Evidence.INPUT_GRAM); }
                @Override public PruneResult prune(Layer layer, LayerTarget target) { return self.prune(layer, target); }
              };
            }""")), Map.of(SCORERS, List.of(pkg + ".P")));
    assertFailsWith(ShearsCommand.FAILURE, "scorer 'greedy' (from " + greedy.toAbsolutePath()
        + ") forLossMeasurements() returned a scorer that reads [INPUT_GRAM], more than the scorer's own []",
        concat(new String[] {"--scorer", "greedy", "--plugin-path", greedy.toString()}, sensitivity));
  }

  @Test
  void wrongCountsAreRefused() throws IOException {
    Path none = scorerJar("lazy", "return PruneResult.maskOnly(new java.util.BitSet());");
    int want = first.columns() / 2;
    String rule = "; per-row sparsity 0.5 requires floor(" + first.columns() + " x 0.5) = " + want
        + " in every row (a scorer that ranks the whole tensor declares Scorer.group() PER_TENSOR)";
    assertFailsWith(ShearsCommand.FAILURE, "scorer 'lazy' (from " + none.toAbsolutePath()
        + ") pruned 0 weights in row 0 of " + firstTensor + rule,
        "--scorer", "lazy", "--plugin-path", none.toString());

    Path greedy = scorerJar("greedy", """
        java.util.BitSet all = MaskSelection.select(new float[layer.rows() * layer.columns()], layer.rows(),
            layer.columns(), target, MaskSelection.Group.PER_ROW);
        all.set(layer.columns() * 3 + layer.columns() - 1);
        return PruneResult.maskOnly(all);""");
    assertFailsWith(ShearsCommand.FAILURE, "scorer 'greedy' (from " + greedy.toAbsolutePath()
        + ") pruned " + (want + 1) + " weights in row 3 of " + firstTensor + rule,
        "--scorer", "greedy", "--plugin-path", greedy.toString());

    // per-tensor selection from a scorer that declares per-row: refused too
    Path undeclared = scorerJar("undeclared", """
        float[] s = new float[layer.rows() * layer.columns()];
        for (int i = 0; i < s.length; i++) { s[i] = i; }
        return PruneResult.maskOnly(MaskSelection.select(s, layer.rows(), layer.columns(), target,
            MaskSelection.Group.PER_TENSOR));""");
    Run run = prune("--scorer", "undeclared", "--plugin-path", undeclared.toString(), "--quiet");
    assertEquals(ShearsCommand.FAILURE, run.code, run.err);
    assertTrue(run.err.startsWith("shears: error: scorer 'undeclared' (from " + undeclared.toAbsolutePath()
        + ") pruned " + first.columns() + " weights in row 0 of " + firstTensor), run.err);

    // under 2:4, every full run of 4 columns loses exactly 2
    Run nm = prune("--scorer", "lazy", "--plugin-path", none.toString(), "--quiet", "--pattern", "2:4");
    assertEquals(ShearsCommand.FAILURE, nm.code, nm.err);
    assertEquals(List.of("shears: error: scorer 'lazy' (from " + none.toAbsolutePath() + ") pruned 0 weights in "
        + "columns 0..3 of row 0 of " + firstTensor + "; pattern 2:4 requires 2 in every run of 4 columns"),
        nm.errLines());
  }

  @Test
  void indexOutsideTheTensorAndWrongLengthAreRefused() throws IOException {
    Path jar = scorerJar("outside", """
        java.util.BitSet b = MaskSelection.select(new float[layer.rows() * layer.columns()], layer.rows(),
            layer.columns(), target, MaskSelection.Group.PER_ROW);
        b.set(layer.rows() * layer.columns() + 5);
        return PruneResult.maskOnly(b);""");
    long size = first.parameters();
    assertFailsWith(ShearsCommand.FAILURE, "scorer 'outside' (from " + jar.toAbsolutePath()
        + ") returned mask index " + (size + 5) + " outside " + firstTensor + " of " + size + " weights",
        "--scorer", "outside", "--plugin-path", jar.toString());

    Path shortJar = scorerJar("truncated", """
        return new PruneResult(MaskSelection.select(new float[layer.rows() * layer.columns()], layer.rows(),
            layer.columns(), target, MaskSelection.Group.PER_ROW), new float[3]);""");
    assertFailsWith(ShearsCommand.FAILURE, "scorer 'truncated' (from " + shortJar.toAbsolutePath()
        + ") returned 3 updated weights for " + firstTensor + " of " + size + " weights",
        "--scorer", "truncated", "--plugin-path", shortJar.toString());
  }

  @Test
  void allocationsOutOfRangeOrForUnknownBlocksAreRefused() throws IOException {
    String firstBlock = first.block();
    Path over = allocatorJar("all-in", """
        java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
        for (Block b : blocks) { m.put(b.name(), 1.0); }
        return m;""");
    assertFailsWith(ShearsCommand.FAILURE, "allocator 'all-in' (from " + over.toAbsolutePath()
        + ") gave block " + firstBlock + " sparsity 1.0; every block needs a value in [0, 1)",
        "--scorer", "magnitude", "--allocator", "all-in", "--plugin-path", over.toString());

    Path extra = allocatorJar("extra", """
        java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
        for (Block b : blocks) { m.put(b.name(), sparsity); }
        m.put("/no/such/block", 0.5);
        return m;""");
    Run run = prune("--scorer", "magnitude", "--allocator", "extra", "--plugin-path", extra.toString(), "--quiet");
    assertEquals(ShearsCommand.FAILURE, run.code, run.err);
    assertEquals(1, run.errLines().size(), run.err);
    assertTrue(run.err.startsWith("shears: error: allocator 'extra' (from " + extra.toAbsolutePath()
        + ") gave a sparsity to unknown block '/no/such/block'"), run.err);
  }

  // ---------------------------------------------------------------- plugins that cannot be selected: exit 2

  @Test
  void duplicateNameIsRefusedNamingBothJarsEvenUnderQuiet() throws IOException {
    Path a = scorerJar("twin", "return null;", "a-twin.jar", "com.example.ta");
    Path b = scorerJar("twin", "return null;", "b-twin.jar", "com.example.tb");
    String why = "duplicate scorer 'twin': provided by " + a.toAbsolutePath() + " and " + b.toAbsolutePath()
        + "; neither is used (remove one from the plugin path, or rename it)";
    for (List<String> quiet : List.of(List.<String>of(), List.of("--quiet"))) {
      List<String> args = new ArrayList<>(List.of("--scorer", "twin", "--plugin-path", a.toString(),
          "--plugin-path", b.toString()));
      args.addAll(quiet);
      Run run = prune(args.toArray(String[]::new));
      assertEquals(ShearsCommand.USAGE, run.code, run.err);
      List<String> lines = run.errLines();
      assertEquals("warning: " + why, lines.get(0));
      assertEquals("shears: error: " + why, lines.get(lines.size() - 1));
    }

    // two copies of one jar (say two versions of a plugin): the class loads from the first
    // only, so that is a duplicate as well
    Path v1 = Files.createDirectories(dir.resolve("v1")).resolve("plugin.jar");
    Path v2 = Files.createDirectories(dir.resolve("v2")).resolve("plugin.jar");
    Files.copy(a, v1);
    Files.copy(a, v2);
    Run copies = prune("--scorer", "twin", "--plugin-path", v1.toString(), "--plugin-path", v2.toString(), "--quiet");
    assertEquals(ShearsCommand.USAGE, copies.code, copies.err);
    String both = "duplicate scorer 'twin': provided by " + v1.toAbsolutePath() + " and " + v2.toAbsolutePath()
        + "; neither is used (remove one from the plugin path, or rename it)";
    assertEquals(List.of("warning: " + both, "shears: error: " + both), copies.errLines());

    // a plugin named like a built-in makes both unusable
    Path clash = scorerJar("magnitude", "return null;", "clash.jar", "com.example.clash");
    Run run = prune("--scorer", "magnitude", "--plugin-path", clash.toString(), "--quiet");
    assertEquals(ShearsCommand.USAGE, run.code, run.err);
    assertEquals(2, run.errLines().size(), run.err);
    assertTrue(run.errLines().get(1).startsWith("shears: error: duplicate scorer 'magnitude': provided by "), run.err);
    assertTrue(run.errLines().get(1).contains(" and " + clash.toAbsolutePath() + "; neither is used"), run.err);
  }

  @Test
  void otherApiVersionIsRefusedEvenUnderQuiet() throws IOException {
    Path jar = PluginJars.build(dir.resolve("old.jar"),
        Map.of("com.example.old.P", scorerSource("com.example.old", "from-the-past", "", "return null;")
            .replace("return ShearsApi.VERSION;", "return ShearsApi.VERSION - 1;")),
        Map.of(SCORERS, List.of("com.example.old.P")));
    String why = "scorer 'from-the-past' from " + jar.toAbsolutePath() + " was built for Shears API "
        + (ShearsApi.VERSION - 1) + ", but this is API " + ShearsApi.VERSION + "; rebuild it against this API";
    Run run = prune("--scorer", "from-the-past", "--plugin-path", jar.toString(), "--quiet");
    assertEquals(ShearsCommand.USAGE, run.code);
    assertEquals(List.of("warning: " + why, "shears: error: " + why), run.errLines());
  }

  @Test
  void loadProblemsAreWarnedUnderQuietAndRecordedInTheReportWithEachStrategysSource() throws IOException {
    Path hollow = PluginJars.build(dir.resolve("hollow.jar"), Map.of(),
        Map.of(SCORERS, List.of("com.example.hollow.GoneProvider")));
    String warning = "scorer plugin com.example.hollow.GoneProvider from " + hollow.toAbsolutePath()
        + " failed to load (Provider com.example.hollow.GoneProvider not found); skipped";
    Path versioned = scorerJar("fine", "return PruneResult.maskOnly(MaskSelection.select(new float[layer.rows()"
        + " * layer.columns()], layer.rows(), layer.columns(), target, MaskSelection.Group.PER_ROW));",
        "fine.jar", "com.example.fine");
    Path out = dir.resolve("fine.onnx");
    Path report = dir.resolve("fine.json");
    Run run = shears("prune", model.toString(), "-o", out.toString(), "--sparsity", "0.5", "--quiet",
        "--scorer", "fine", "--allocator", "uniform", "--report", report.toString(),
        "--plugin-path", hollow.toString(), "--plugin-path", versioned.toString());
    assertEquals(ShearsCommand.OK, run.code, run.err);
    assertEquals(List.of("warning: " + warning), run.errLines());
    JsonNode settings = JSON.readTree(report.toFile()).get("settings");
    assertEquals(List.of(warning), JSON.convertValue(settings.get("pluginProblems"), List.class));
    JsonNode scorer = settings.get("strategies").get("scorer");
    assertEquals("fine", scorer.get("name").asText());
    assertEquals(versioned.toAbsolutePath().toString(), scorer.get("source").asText());
    assertEquals("unknown", scorer.get("version").asText()); // no Implementation-Version in its manifest
    JsonNode allocator = settings.get("strategies").get("allocator");
    assertEquals("uniform", allocator.get("name").asText());
    assertFalse(allocator.get("source").asText().isBlank());
  }

  @Test
  void theReportAndTheListingGiveThePluginsVersionFromItsManifest() throws IOException {
    String pkg = "com.example.versioned";
    Path jar = PluginJars.build(dir.resolve("versioned.jar"), Map.of(pkg + ".P", scorerSource(pkg, "versioned", "",
        "return PruneResult.maskOnly(MaskSelection.select(new float[layer.rows() * layer.columns()], layer.rows(),"
            + " layer.columns(), target, MaskSelection.Group.PER_ROW));")),
        Map.of(SCORERS, List.of(pkg + ".P")), "2.5.1");
    Path report = dir.resolve("versioned.json");
    Run run = shears("prune", model.toString(), "-o", dir.resolve("versioned.onnx").toString(), "--sparsity", "0.5",
        "--quiet", "--scorer", "versioned", "--allocator", "uniform", "--report", report.toString(),
        "--plugin-path", jar.toString());
    assertEquals(ShearsCommand.OK, run.code, run.err);
    JsonNode settings = JSON.readTree(report.toFile()).get("settings");
    assertEquals("2.5.1", settings.get("strategies").get("scorer").get("version").asText());
    assertEquals(0, settings.get("pluginProblems").size());

    Run list = shears("plugins", "--json", "--plugin-path", jar.toString());
    for (JsonNode s : JSON.readTree(list.out).get("strategies")) {
      if (s.get("name").asText().equals("versioned")) {
        assertEquals("2.5.1", s.get("version").asText());
        return;
      }
    }
    throw new AssertionError("versioned is not listed: " + list.out);
  }

  // ---------------------------------------------------------------- the run context

  @Test
  void strategiesSeeTheSeedTheModelNameAndTheConsumingNodes() throws IOException {
    // the plugins report what they saw through the one channel they have: an exception message
    Path scorer = scorerJar("nosy", "throw new IllegalStateException(\"seed=\" + layer.context().seed() + \" model=\""
        + " + layer.context().modelName() + \" nodes=\" + layer.nodes());");
    assertFailsWith(ShearsCommand.FAILURE, "scorer 'nosy' (from " + scorer.toAbsolutePath() + ") failed on "
        + firstTensor + ": IllegalStateException: seed=7 model=model.onnx nodes=["
        + first.consumers().get(0).node() + "]", "--scorer", "nosy", "--plugin-path", scorer.toString(),
        "--seed", "7");

    Path allocator = allocatorJar("nosy-alloc", "throw new IllegalStateException(\"seed=\""
        + " + blocks.get(0).context().seed() + \" first=\" + blocks.get(0).name()"
        + " + \" nodes=\" + blocks.get(0).layers().get(0).nodes());");
    assertFailsWith(ShearsCommand.FAILURE, "allocator 'nosy-alloc' (from " + allocator.toAbsolutePath()
        + ") failed in allocate (" + blockCount() + " blocks): IllegalStateException: seed=-3 first=" + first.block()
        + " nodes=[" + first.consumers().get(0).node() + "]",
        "--scorer", "magnitude", "--allocator", "nosy-alloc", "--plugin-path", allocator.toString(), "--seed", "-3");
  }

  @Test
  void scorersCanAskForAbsoluteSumsAndMaxima() throws IOException {
    String pkg = "com.example.absolute";
    String source = scorerSource(pkg, "absolute", "", """
        double[] sums = layer.inputAbsSums();
        double[] max = layer.inputAbsMax();
        boolean ok = sums.length == layer.columns() && max.length == layer.columns();
        for (int j = 0; j < sums.length; j++) { ok &= max[j] > 0 && sums[j] >= max[j]; }
        throw new IllegalStateException("columns=" + layer.columns() + " consistent=" + ok);""")
        .replace("return Set.of(); }", "return Set.of(Evidence.ACTIVATION_ABS_SUMS, Evidence.ACTIVATION_ABS_MAX); }");
    Path jar = PluginJars.build(dir.resolve("absolute.jar"), Map.of(pkg + ".P", source),
        Map.of(SCORERS, List.of(pkg + ".P")));
    assertFailsWith(ShearsCommand.FAILURE, "scorer 'absolute' (from " + jar.toAbsolutePath() + ") failed on "
        + firstTensor + ": IllegalStateException: columns=" + first.columns() + " consistent=true",
        "--scorer", "absolute", "--plugin-path", jar.toString(), "--calib",
        BundledModels.tinyClip().resolve("calib").toString(), "--calib-samples", "8", "--mode", "one-shot");
  }

  // ---------------------------------------------------------------- helpers

  private static int blockCount() throws IOException {
    try (ModelFile m = ModelFile.read(model)) {
      return Inventory.of(m.proto().getGraph(), SelectionRules.DEFAULT).blocks().size();
    }
  }

  /** Runs the failing command with and without --quiet: one error line, the same both times, no output. */
  private static void assertFailsWith(int code, String message, String... args) {
    Run quiet = prune(concat(args, "--quiet"));
    assertEquals(code, quiet.code, quiet.err);
    assertEquals(List.of("shears: error: " + message), quiet.errLines());
    // without --quiet, notes and stage lines come first; the failure is still one line, the last
    Run loud = prune(args);
    assertEquals(code, loud.code, loud.err);
    List<String> lines = loud.errLines();
    assertEquals(List.of("shears: error: " + message),
        lines.stream().filter(l -> l.startsWith("shears:")).toList(), loud.err);
    assertEquals("shears: error: " + message, lines.get(lines.size() - 1));
  }

  private static String[] concat(String[] a, String[] b) {
    List<String> l = new ArrayList<>(List.of(a));
    l.addAll(List.of(b));
    return l.toArray(String[]::new);
  }

  private static String[] concat(String[] a, String b) {
    List<String> l = new ArrayList<>(List.of(a));
    l.add(b);
    return l.toArray(String[]::new);
  }

  private static Path scorerJar(String name, String pruneBody) throws IOException {
    return scorerJar(name, pruneBody, name + ".jar", "com.example." + name.replace("-", ""));
  }

  private static Path scorerJar(String name, String pruneBody, String file, String pkg) throws IOException {
    return PluginJars.build(dir.resolve(file), Map.of(pkg + ".P", scorerSource(pkg, name, "", pruneBody)),
        Map.of(SCORERS, List.of(pkg + ".P")));
  }

  private static String scorerSource(String pkg, String name, String createBody, String pruneBody) {
    return scorerSource(pkg, name, createBody, pruneBody, "");
  }

  /** {@code members}: more methods of the scorer (after {@code prune}). */
  private static String scorerSource(String pkg, String name, String createBody, String pruneBody, String members) {
    return """
        package %s;

        import dev.shears.api.*;
        import java.util.List;
        import java.util.Set;

        public final class P implements ScorerProvider {
          public P() {}
          @Override public String name() { return "%s"; }
          @Override public String description() { return "a broken test scorer"; }
          @Override public List<ParamSpec> parameters() { return List.of(); }
          @Override public int apiVersion() { return ShearsApi.VERSION; }
          @Override public Scorer create(Params params) {
            %s
            return new Scorer() {
              @Override public Set<Evidence> evidence() { return Set.of(); }
              @Override public PruneResult prune(Layer layer, LayerTarget target) {
                %s
              }
              %s
            };
          }
        }
        """.formatted(pkg, name, createBody, pruneBody, members);
  }

  private static Path allocatorJar(String name, String allocateBody) throws IOException {
    String pkg = "com.example." + name.replace("-", "");
    String source = """
        package %s;

        import dev.shears.api.*;
        import java.util.List;
        import java.util.Map;
        import java.util.Set;

        public final class P implements AllocatorProvider {
          public P() {}
          @Override public String name() { return "%s"; }
          @Override public String description() { return "a broken test allocator"; }
          @Override public List<ParamSpec> parameters() { return List.of(); }
          @Override public int apiVersion() { return ShearsApi.VERSION; }
          @Override public Allocator create(Params params) {
            return new Allocator() {
              @Override public Set<Evidence> evidence() { return Set.of(); }
              @Override public Map<String, Double> allocate(List<Block> blocks, double sparsity) {
                %s
              }
            };
          }
        }
        """.formatted(pkg, name, allocateBody);
    return PluginJars.build(dir.resolve(name + ".jar"), Map.of(pkg + ".P", source),
        Map.of(ALLOCATORS, List.of(pkg + ".P")));
  }

  private static Run prune(String... extra) {
    Path never = dir.resolve("never-written.onnx");
    List<String> args = new ArrayList<>(List.of("prune", model.toString(), "-o", never.toString(), "--sparsity", "0.5"));
    if (!List.of(extra).contains("--allocator")) {
      args.addAll(List.of("--allocator", "uniform"));
    }
    args.addAll(List.of(extra));
    Run run = shears(args.toArray(String[]::new));
    assertFalse(Files.exists(never), "an error run wrote its output");
    try (var s = Files.list(dir)) {
      assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".shears-tmp")), "a temporary file was left");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return run;
  }

  private static Run shears(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = ShearsCommand.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  private record Run(int code, String out, String err) {
    List<String> errLines() {
      return err.isBlank() ? List.of() : List.of(err.strip().split("\\R"));
    }
  }
}
