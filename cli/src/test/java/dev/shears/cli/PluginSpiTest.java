package dev.shears.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shears.api.LayerTarget;
import dev.shears.api.MaskSelection;
import dev.shears.api.ShearsApi;
import dev.shears.api.SparsityPattern;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.pruning.WeightCodec;
import dev.shears.testdata.BundledModels;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin SPI end to end, through the CLI in-process: the example plugin is compiled from
 * plugins/example-scorer against the shears-api classes only, jarred, and used by name with
 * {@code --plugin-path}; small broken plugins are built the same way for the error paths.
 */
class PluginSpiTest {
  private static final String SCORER_SERVICE = "dev.shears.api.ScorerProvider";
  private static final String EXAMPLE = "relative-importance";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static Path model;
  static Path example;

  @BeforeAll
  static void buildJars() throws IOException {
    model = BundledModels.tinyClip().resolve("model.onnx");
    example = PluginJars.example(dir.resolve("shears-example-scorer.jar"));
  }

  // ---------------------------------------------------------------- the worked example

  @Test
  void exampleScorerDecidesTheMasks() throws IOException {
    Path out = dir.resolve("example-pruned.onnx");
    Run run = shears("prune", model.toString(), "-o", out.toString(), "--sparsity", "0.5",
        "--scorer", EXAMPLE, "--allocator", "uniform", "--plugin-path", example.toString(), "--quiet");
    assertEquals(ShearsCommand.OK, run.code, run.err);
    assertEquals("", run.err);

    LayerTarget half = new LayerTarget(0.5, SparsityPattern.unstructured());
    int tensors = 0;
    long differFromMagnitude = 0;
    try (ModelFile before = ModelFile.read(model); ModelFile after = ModelFile.read(out)) {
      Inventory inBefore = Inventory.of(before.proto().getGraph(), SelectionRules.DEFAULT);
      Map<String, PrunableTensor> inAfter = new LinkedHashMap<>();
      for (PrunableTensor t : Inventory.of(after.proto().getGraph(), SelectionRules.DEFAULT).prunable()) {
        inAfter.put(t.name(), t);
      }
      for (PrunableTensor t : inBefore.prunable()) {
        float[] w = WeightCodec.readView(before, t);
        float[] got = WeightCodec.readView(after, inAfter.get(t.name()));
        BitSet expected = MaskSelection.select(relativeImportance(w, t.rows(), t.columns()),
            t.rows(), t.columns(), half, MaskSelection.Group.PER_ROW);
        assertEquals((long) t.rows() * (t.columns() / 2), expected.cardinality(), t.name());
        for (int i = 0; i < w.length; i++) {
          float want = expected.get(i) ? 0f : w[i];
          if (Float.floatToIntBits(want) != Float.floatToIntBits(got[i]) && !(want == 0f && got[i] == 0f)) {
            throw new AssertionError(t.name() + "[" + i + "]: expected " + want + ", got " + got[i]
                + (expected.get(i) ? " (the example scorer prunes it)" : " (the example scorer keeps it)"));
          }
        }
        BitSet magnitude = MaskSelection.select(abs(w), t.rows(), t.columns(), half, MaskSelection.Group.PER_ROW);
        magnitude.xor(expected);
        differFromMagnitude += magnitude.cardinality();
        tensors++;
      }
    }
    assertEquals(48, tensors);
    // The check is not vacuous: the example's masks are not the default (magnitude) scorer's.
    assertTrue(differFromMagnitude > 1000, "masks differ from magnitude at " + differFromMagnitude + " positions");
  }

  @Test
  void builtInsAndTheExamplePassTheResultChecksWithEitherGroupAndUnderNofM() {
    String calib = BundledModels.tinyClip().resolve("calib").toString();
    List<List<String>> runs = List.of(
        List.of("--scorer", EXAMPLE, "--param", "scorer.group=per-tensor", "--sparsity", "0.37"),
        List.of("--scorer", "magnitude", "--param", "scorer.group=per-tensor", "--sparsity", "0.37"),
        List.of("--scorer", "magnitude", "--pattern", "2:4"),
        List.of("--scorer", "wanda", "--param", "scorer.group=per-tensor", "--sparsity", "0.37", "--calib", calib),
        List.of("--scorer", "sparsegpt", "--param", "scorer.group=per-tensor", "--sparsity", "0.37", "--calib", calib),
        List.of("--scorer", "sparsegpt", "--sparsity", "0.37", "--calib", calib),
        List.of("--scorer", "sparsegpt", "--pattern", "2:4", "--calib", calib));
    for (List<String> extra : runs) {
      Path out = dir.resolve("checked.onnx");
      List<String> args = new ArrayList<>(List.of("prune", model.toString(), "-o", out.toString(), "--quiet",
          "--allocator", "uniform", "--mode", "one-shot", "--calib-samples", "8", "--plugin-path", example.toString()));
      args.addAll(extra);
      if (!extra.contains("--calib")) {
        args.removeAll(List.of("--mode", "one-shot", "--calib-samples", "8"));
      }
      Run run = shears(args.toArray(String[]::new));
      assertEquals(ShearsCommand.OK, run.code, extra + ": " + run.err);
      assertEquals("", run.err, extra.toString());
    }
  }

  /** The example's rule, written out independently: |w|/row sum + |w|/column sum. */
  private static float[] relativeImportance(float[] w, int rows, int columns) {
    double[] rowSums = new double[rows];
    double[] columnSums = new double[columns];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < columns; c++) {
        double a = Math.abs((double) w[r * columns + c]);
        rowSums[r] += a;
        columnSums[c] += a;
      }
    }
    float[] scores = new float[w.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < columns; c++) {
        double a = Math.abs((double) w[r * columns + c]);
        double row = rowSums[r] == 0 ? 0 : a / rowSums[r];
        double column = columnSums[c] == 0 ? 0 : a / columnSums[c];
        scores[r * columns + c] = (float) (row + 1.0 * column);
      }
    }
    return scores;
  }

  private static float[] abs(float[] w) {
    float[] a = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      a[i] = Math.abs(w[i]);
    }
    return a;
  }

  @Test
  void pluginsJsonListsTheExampleWithItsJarAndParameters() throws IOException {
    Run run = shears("plugins", "--json", "--plugin-path", example.toString());
    assertEquals(ShearsCommand.OK, run.code, run.err);
    assertEquals("", run.err);
    JsonNode root = JSON.readTree(run.out);
    assertEquals(0, root.get("problems").size());
    JsonNode found = strategy(root, EXAMPLE);
    assertEquals("scorer", found.get("kind").asText());
    assertEquals(example.toAbsolutePath().toString(), found.get("source").asText());
    assertEquals(ShearsApi.VERSION, found.get("apiVersion").asInt());
    assertTrue(found.get("description").asText().contains("RIA"));
    JsonNode params = found.get("parameters");
    assertEquals(2, params.size());
    assertEquals("scorer.columnWeight", params.get(0).get("name").asText());
    assertEquals("double", params.get(0).get("type").asText());
    assertEquals("1.0", params.get(0).get("default").asText());
    assertFalse(params.get(0).get("description").asText().isBlank());
    assertEquals("scorer.group", params.get(1).get("name").asText());
    assertEquals("choice", params.get(1).get("type").asText());
    assertEquals("per-row", params.get(1).get("default").asText());
    // Built-ins come through the same mechanism, from their own jar or folder.
    assertEquals("scorer", strategy(root, "magnitude").get("kind").asText());
    assertNotEquals(found.get("source").asText(), strategy(root, "magnitude").get("source").asText());

    Run text = shears("plugins", "--plugin-path", example.toString());
    assertEquals(ShearsCommand.OK, text.code);
    assertTrue(text.out.contains("  " + EXAMPLE + "\n"), text.out);
    assertTrue(text.out.contains("--param scorer.columnWeight=<double> (default 1.0)"), text.out);
    assertTrue(text.out.contains("from " + example.toAbsolutePath()), text.out);
  }

  // ---------------------------------------------------------------- user errors: exit 2, one line

  @Test
  void unknownNameListsTheAvailableOnes() {
    Run run = prune("--scorer", "magnitud", "--plugin-path", example.toString());
    assertEquals(ShearsCommand.USAGE, run.code);
    assertEquals(List.of("shears: error: unknown scorer 'magnitud' (available: magnitude, wanda, sparsegpt, "
        + EXAMPLE + "); did you mean 'magnitude'?"), run.errLines());

    run = prune("--allocator", "even");
    assertEquals(ShearsCommand.USAGE, run.code);
    assertEquals(List.of("shears: error: unknown allocator 'even' (available: uniform, ecoflap, owl, sensitivity)"),
        run.errLines());
  }

  @Test
  void wrongParameterTypeNamesTheKeyAndTheExpectedType() {
    Run run = prune("--scorer", EXAMPLE, "--plugin-path", example.toString(),
        "--param", "scorer.columnWeight=lots");
    assertEquals(ShearsCommand.USAGE, run.code);
    assertEquals(List.of("shears: error: parameter 'scorer.columnWeight' expects a finite number, got 'lots'"),
        run.errLines());

    // A built-in's typed parameter is checked before any calibration data is asked for.
    run = prune("--allocator", "ecoflap", "--param", "allocator.samples=1.5");
    assertEquals(ShearsCommand.USAGE, run.code);
    assertEquals(List.of("shears: error: parameter 'allocator.samples' expects an integer, got '1.5'"),
        run.errLines());

    run = prune("--scorer", EXAMPLE, "--plugin-path", example.toString(), "--param", "scorer.group=per-column");
    assertEquals(ShearsCommand.USAGE, run.code);
    assertEquals(List.of("shears: error: parameter 'scorer.group' must be one of per-row, per-tensor, "
        + "got 'per-column'"), run.errLines());
  }

  @Test
  void valueThePluginRejectsIsAUsageError() {
    Run run = prune("--scorer", EXAMPLE, "--plugin-path", example.toString(), "--param", "scorer.columnWeight=-1");
    assertEquals(ShearsCommand.USAGE, run.code);
    assertEquals(List.of("shears: error: scorer '" + EXAMPLE + "': scorer.columnWeight must be at least 0, got -1.0"),
        run.errLines());
  }

  @Test
  void unknownParameterListsTheKnownOnes() {
    Run run = prune("--scorer", EXAMPLE, "--plugin-path", example.toString(), "--param", "scorer.colWeight=2");
    assertEquals(ShearsCommand.USAGE, run.code);
    assertEquals(List.of("shears: error: unknown parameter 'scorer.colWeight' "
        + "(known: scorer.columnWeight, scorer.group)"), run.errLines());

    // uniform takes no parameters (the default allocator, ecoflap, has some)
    run = prune("--allocator", "uniform", "--param", "allocator.lambda=0.1");
    assertEquals(ShearsCommand.USAGE, run.code);
    assertEquals(List.of("shears: error: unknown parameter 'allocator.lambda' (it takes no parameters)"),
        run.errLines());
  }

  // ---------------------------------------------------------------- plugins that cannot be used

  @Test
  void pluginForAnotherApiVersionIsRefused() throws IOException {
    Path jar = PluginJars.build(dir.resolve("future.jar"),
        Map.of("com.example.future.FutureProvider",
            provider("com.example.future", "FutureProvider", "from-the-future", "ShearsApi.VERSION + 1", "")),
        Map.of(SCORER_SERVICE, List.of("com.example.future.FutureProvider")));
    String why = "scorer 'from-the-future' from " + jar.toAbsolutePath() + " was built for Shears API "
        + (ShearsApi.VERSION + 1) + ", but this is API " + ShearsApi.VERSION + "; rebuild it against this API";

    Run run = prune("--scorer", "from-the-future", "--plugin-path", jar.toString());
    assertEquals(ShearsCommand.USAGE, run.code);
    assertEquals(List.of("warning: " + why, "shears: error: " + why), run.errLines());

    // load problems are summarised even under --quiet
    run = prune("--scorer", "from-the-future", "--plugin-path", jar.toString(), "--quiet");
    assertEquals(List.of("warning: " + why, "shears: error: " + why), run.errLines());

    Run list = shears("plugins", "--plugin-path", jar.toString());
    assertEquals(ShearsCommand.OK, list.code);
    assertFalse(list.out.contains("from-the-future"), list.out);
    assertEquals(List.of("warning: " + why), list.errLines());
  }

  @Test
  void pluginWhoseConstructorThrowsIsSkippedWithOneWarning() throws IOException {
    Path jar = PluginJars.build(dir.resolve("boom.jar"),
        Map.of("com.example.boom.BoomProvider", provider("com.example.boom", "BoomProvider", "boom",
            "ShearsApi.VERSION", "throw new IllegalStateException(\"licence server unreachable\");")),
        Map.of(SCORER_SERVICE, List.of("com.example.boom.BoomProvider")));
    String warning = "scorer plugin com.example.boom.BoomProvider from " + jar.toAbsolutePath()
        + " failed to load (IllegalStateException: licence server unreachable); skipped";

    Run list = shears("plugins", "--plugin-path", jar.toString(), "--plugin-path", example.toString());
    assertEquals(ShearsCommand.OK, list.code);
    assertEquals(List.of("warning: " + warning), list.errLines());
    assertTrue(list.out.contains("  " + EXAMPLE + "\n"), "later plugins still load: " + list.out);

    Run run = prune("--scorer", "boom", "--plugin-path", jar.toString());
    assertEquals(ShearsCommand.USAGE, run.code);
    assertEquals(List.of("warning: " + warning, "shears: error: unknown scorer 'boom' "
        + "(available: magnitude, wanda, sparsegpt); note: " + warning), run.errLines());
  }

  @Test
  void providerClassMissingFromItsJarIsReportedWithTheJar() throws IOException {
    Path jar = PluginJars.build(dir.resolve("hollow.jar"), Map.of(),
        Map.of(SCORER_SERVICE, List.of("com.example.hollow.GoneProvider")));
    Run list = shears("plugins", "--plugin-path", jar.toString());
    assertEquals(ShearsCommand.OK, list.code);
    assertEquals(List.of("warning: scorer plugin com.example.hollow.GoneProvider from " + jar.toAbsolutePath()
        + " failed to load (Provider com.example.hollow.GoneProvider not found); skipped"), list.errLines());
  }

  @Test
  void invalidNameIsSkipped() throws IOException {
    Path jar = PluginJars.build(dir.resolve("badname.jar"),
        Map.of("com.example.bad.BadNameProvider",
            provider("com.example.bad", "BadNameProvider", "Bad_Name", "ShearsApi.VERSION", "")),
        Map.of(SCORER_SERVICE, List.of("com.example.bad.BadNameProvider")));
    Run list = shears("plugins", "--plugin-path", jar.toString());
    assertEquals(ShearsCommand.OK, list.code);
    assertEquals(List.of("warning: scorer plugin com.example.bad.BadNameProvider from " + jar.toAbsolutePath()
        + " has an invalid name 'Bad_Name' (names match [a-z][a-z0-9-]*); skipped"), list.errLines());
    assertFalse(list.out.contains("Bad_Name"));

    Run run = prune("--scorer", "Bad_Name", "--plugin-path", jar.toString(), "--quiet");
    assertEquals(ShearsCommand.USAGE, run.code);
    assertEquals(List.of("warning: scorer plugin com.example.bad.BadNameProvider from " + jar.toAbsolutePath()
        + " has an invalid name 'Bad_Name' (names match [a-z][a-z0-9-]*); skipped",
        "shears: error: unknown scorer 'Bad_Name' (available: magnitude, wanda, sparsegpt)"), run.errLines());
  }

  @Test
  void duplicateNameIsRefusedWithBothJars() throws IOException, Exception {
    Path folder = Files.createDirectories(dir.resolve("twins"));
    Path first = PluginJars.build(folder.resolve("a-twin.jar"),
        Map.of("com.example.a.TwinProvider", provider("com.example.a", "TwinProvider", "twin", "ShearsApi.VERSION", "")
            .replace("\"test plugin twin\"", "\"first twin\"")),
        Map.of(SCORER_SERVICE, List.of("com.example.a.TwinProvider")));
    Path second = PluginJars.build(folder.resolve("b-twin.jar"),
        Map.of("com.example.b.TwinProvider", provider("com.example.b", "TwinProvider", "twin", "ShearsApi.VERSION", "")
            .replace("\"test plugin twin\"", "\"second twin\"")),
        Map.of(SCORER_SERVICE, List.of("com.example.b.TwinProvider")));

    // A folder contributes its jars in name order; neither twin is listed or usable.
    Run run = shears("plugins", "--json", "--plugin-path", folder.toString(), "--quiet");
    assertEquals(ShearsCommand.OK, run.code);
    String warning = "duplicate scorer 'twin': provided by " + first.toAbsolutePath() + " and "
        + second.toAbsolutePath() + "; neither is used (remove one from the plugin path, or rename it)";
    assertEquals(List.of("warning: " + warning), run.errLines());
    JsonNode root = JSON.readTree(run.out);
    for (JsonNode s : root.get("strategies")) {
      assertNotEquals("twin", s.get("name").asText());
    }
    assertEquals(warning, root.get("problems").get(0).asText());

    Run use = prune("--scorer", "twin", "--plugin-path", second.toString(), "--plugin-path", first.toString());
    assertEquals(ShearsCommand.USAGE, use.code);
    String reversed = "duplicate scorer 'twin': provided by " + second.toAbsolutePath() + " and "
        + first.toAbsolutePath() + "; neither is used (remove one from the plugin path, or rename it)";
    assertEquals(List.of("warning: " + reversed, "shears: error: " + reversed), use.errLines());

    // A plugin named like a built-in is a duplicate too: the built-in is not silently kept.
    Path clash = PluginJars.build(dir.resolve("clash.jar"),
        Map.of("com.example.c.MagnitudeProvider",
            provider("com.example.c", "MagnitudeProvider", "magnitude", "ShearsApi.VERSION", "")),
        Map.of(SCORER_SERVICE, List.of("com.example.c.MagnitudeProvider")));
    run = shears("plugins", "--json", "--plugin-path", clash.toString());
    assertEquals(1, run.errLines().size(), run.err);
    assertTrue(run.err.startsWith("warning: duplicate scorer 'magnitude': provided by "), run.err);
    assertTrue(run.err.contains(" and " + clash.toAbsolutePath() + "; neither is used"), run.err);
  }

  // ---------------------------------------------------------------- the plugin path itself

  @Test
  void missingPluginPathIsAFailure() {
    Path nowhere = dir.resolve("nowhere.jar");
    Run run = shears("plugins", "--plugin-path", nowhere.toString());
    assertEquals(ShearsCommand.FAILURE, run.code);
    assertEquals(List.of("shears: error: --plugin-path " + nowhere + ": no such file or folder"), run.errLines());
  }

  @Test
  void environmentEntriesFollowTheOptionsAndFoldersGiveTheirJarsInOrder() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("env-folder"));
    Files.copy(example, folder.resolve("z.jar"));
    Files.copy(example, folder.resolve("m.jar"));
    Files.writeString(folder.resolve("notes.txt"), "not a jar");
    List<URL> urls = CommonOptions.pluginJars(List.of(example),
        folder + java.io.File.pathSeparator + java.io.File.pathSeparator + example);
    List<String> names = new ArrayList<>();
    for (URL u : urls) {
      names.add(Path.of(u.getPath()).getFileName().toString());
    }
    assertEquals(List.of("shears-example-scorer.jar", "m.jar", "z.jar"), names);
  }

  // ---------------------------------------------------------------- helpers

  private static JsonNode strategy(JsonNode root, String name) {
    for (JsonNode s : root.get("strategies")) {
      if (s.get("name").asText().equals(name)) {
        return s;
      }
    }
    throw new AssertionError("no strategy '" + name + "' in " + root);
  }

  /** A scorer provider's source; its scorer prunes nothing. */
  private static String provider(String pkg, String cls, String name, String version, String constructor) {
    return """
        package %s;

        import dev.shears.api.*;
        import java.util.BitSet;
        import java.util.List;
        import java.util.Set;

        public final class %s implements ScorerProvider {
          public %s() { %s }
          @Override public String name() { return "%s"; }
          @Override public String description() { return "test plugin twin"; }
          @Override public List<ParamSpec> parameters() { return List.of(); }
          @Override public int apiVersion() { return %s; }
          @Override public Scorer create(Params params) {
            return new Scorer() {
              @Override public Set<Evidence> evidence() { return Set.of(); }
              @Override public PruneResult prune(Layer layer, LayerTarget target) {
                return PruneResult.maskOnly(new BitSet());
              }
            };
          }
        }
        """.formatted(pkg, cls, cls, constructor, name, version);
  }

  private static Run prune(String... extra) {
    List<String> args = new ArrayList<>(List.of("prune", model.toString(), "-o",
        dir.resolve("never-written.onnx").toString(), "--sparsity", "0.5"));
    args.addAll(List.of(extra));
    Run run = shears(args.toArray(String[]::new));
    assertFalse(Files.exists(dir.resolve("never-written.onnx")), "an error run wrote its output");
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
