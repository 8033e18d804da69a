package dev.shears.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shears.core.evaluation.Fidelity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  @TempDir Path tmp;

  static PruneReport sample() {
    List<BlockReport> blocks = new ArrayList<>();
    List<TensorReport> tensors = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String tower = i < 2 ? "/vision_model/encoder" : "/text_model/encoder";
      String block = tower + "/layers." + i;
      blocks.add(new BlockReport(block, tower, 1000, 0.4 + 0.05 * i, 0.4 + 0.05 * i, i == 0 ? null : 0.1 * i));
      tensors.add(new TensorReport("onnx::MatMul_" + i + "<&>", block, List.of("/n" + i), new long[] {10, 100},
          "float", 1000, 0.5, 500, 0.5, 500, i == 1 ? null : new ScoreSummary(0, 0.5, 1, 0.5, 0.49)));
    }
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("scorer", "wanda");
    settings.put("seed", 7);
    Map<String, Double> timings = new LinkedHashMap<>();
    timings.put("scoring and masking", 1.25);
    Map<String, Fidelity.OutputFidelity> fid = new LinkedHashMap<>();
    fid.put("image_embeds", new Fidelity.OutputFidelity(0.97, 0.96, 0.12, null, 1024));
    fid.put("logits_per_image", new Fidelity.OutputFidelity(0.98, 0.98, 4.5, 1.0, 256));
    return new PruneReport("shears test", "in.onnx", "out.onnx", settings,
        new PruneReport.Totals(4000, 2000, 0.5, 0.5), blocks, tensors,
        List.of(Map.of("name", "proj", "node", "/Gemm", "reason", "outside <blocks>")), timings)
        .withEnvironment(RunEnvironment.capture("cpu", 7)).withFidelity(fid);
  }

  @Test
  void pageIsSelfContainedAndEscaped() {
    String html = HtmlReport.render(sample());
    assertTrue(html.startsWith("<!DOCTYPE html>"));
    assertTrue(html.contains("<svg"), "chart");
    assertTrue(html.contains("onnx::MatMul_0&lt;&amp;&gt;"), "escaped tensor name");
    assertFalse(html.contains("MatMul_0<&>"));
    assertTrue(html.contains("logits_per_image") && html.contains("0.980000"), "fidelity figures");
    assertFalse(html.contains("<script"), "no scripts");
    // The SVG namespace is the only URL, and it is never fetched.
    Matcher m = Pattern.compile("(https?:)?//[a-zA-Z]").matcher(html.replace("http://www.w3.org/2000/svg", ""));
    assertFalse(m.find(), "no external URLs");
    assertEquals(4, Pattern.compile("<rect class=\"bar\"").matcher(html).results().count(), "one bar per block");
  }

  @Test
  void strategySearchIsATableAndAJsonKey() {
    assertFalse(ReportWriter.toJson(sample()).contains("\"search\""), "no search key for a plain prune");
    assertFalse(HtmlReport.render(sample()).contains("Strategy search"));
    Map<String, Object> search = new LinkedHashMap<>();
    search.put("loss", "contrastive");
    search.put("calibrationSamples", 128);
    search.put("fitSamples", 96);
    search.put("heldOutSamples", 32);
    search.put("denseLoss", 0.01);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (String allocator : new String[] {"uniform", "ecoflap"}) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("allocator", allocator);
      row.put("scorer", "sparsegpt<b>");
      row.put("mode", "one-shot");
      row.put("heldOutLoss", allocator.equals("uniform") ? 0.25 : 0.125);
      row.put("lossIncrease", allocator.equals("uniform") ? 0.24 : 0.115);
      row.put("seconds", 1.5);
      row.put("winner", allocator.equals("ecoflap"));
      rows.add(row);
    }
    search.put("candidates", rows);
    search.put("seconds", 4.0);
    search.put("costInWinnerPrunes", 2.0);
    assertFalse(HtmlReport.render(sample().withSearch(search)).contains("prune with the defaults"));
    search.put("costInDefaultPrunes", 3.0);
    PruneReport r = sample().withSearch(search);
    String html = HtmlReport.render(r);
    assertTrue(html.contains("Strategy search") && html.contains("0.125000") && html.contains("sparsegpt&lt;b&gt;"),
        html);
    assertTrue(html.contains("own prune (estimated). 3.00 times one prune with the defaults"),
        html);
    assertTrue(ReportWriter.toJson(r).contains("\"search\""));
  }

  static PruneReport withTimingsAndEngine() {
    PruneReport r = sample();
    Map<String, Double> t = r.timingsSeconds();
    t.clear();
    t.put("zeroth-order importance", 2.0);
    t.put("allocation", 0.5);
    t.put("statistics", 1.0);
    t.put("zeroth-order importance / dense pass", 0.5);
    t.put("zeroth-order importance / queries", 1.25);
    t.put("statistics / passes", 0.75);
    t.put("write", 0.25);
    t.put("total", 4.5);
    Map<String, Object> scores = new LinkedHashMap<>();
    for (int i = 0; i < 12; i++) {
      scores.put("onnx::MatMul_" + i, 0.01 * i);
    }
    r.settings().put("engine", Map.of("zerothOrder", Map.of("queries", 192, "tensorScores", scores)));
    return r;
  }

  /** The timings table's rows: class and first cell, in page order. */
  static List<String[]> timingRows(String html) {
    String table = html.substring(html.indexOf("<table class=\"timings\">"));
    table = table.substring(0, table.indexOf("</table>"));
    Matcher m = Pattern.compile("<tr class=\"(\\w+)\"><td>([^<]*)</td><td class=\"n\">([^<]*)</td>").matcher(table);
    List<String[]> rows = new ArrayList<>();
    while (m.find()) {
      rows.add(new String[] {m.group(1), m.group(2), m.group(3)});
    }
    return rows;
  }

  @Test
  void perLayerTableNamesTheNodes() {
    String html = HtmlReport.render(sample());
    String layers = html.substring(html.indexOf("<h2>Per layer</h2>"));
    layers = layers.substring(0, layers.indexOf("</table>"));
    assertTrue(layers.contains("<th>nodes</th>"), layers);
    for (int i = 0; i < 4; i++) {
      assertTrue(layers.contains("onnx::MatMul_" + i + "&lt;&amp;&gt;</td><td class=\"name\">/n" + i + "</td>"), layers);
    }
  }

  @Test
  void timingPartsSitUnderTheirStageAndStagesAddUpToTheTotal() {
    List<String[]> rows = timingRows(HtmlReport.render(withTimingsAndEngine()));
    List<String> order = rows.stream().map(r -> r[0] + ":" + r[1]).toList();
    assertEquals(List.of("stage:read, inventory and set-up", "stage:zeroth-order importance", "part:dense pass",
        "part:queries", "stage:allocation", "stage:statistics", "part:passes", "stage:write", "total:total"), order);
    double stages = rows.stream().filter(r -> r[0].equals("stage")).mapToDouble(r -> Double.parseDouble(r[2])).sum();
    double total = Double.parseDouble(rows.get(rows.size() - 1)[2]);
    assertEquals(total, stages, 1e-9);
    assertEquals(0.75, Double.parseDouble(rows.get(0)[2]), 1e-9, "the rest: 4.5 - 3.75");
  }

  @Test
  void longSettingsAreFoldedNotSentToAJsonReport() {
    String html = HtmlReport.render(withTimingsAndEngine());
    assertFalse(html.contains("JSON report"), "only HTML was asked for");
    assertTrue(html.contains("<details><summary>12 entries</summary>"), html);
    assertTrue(html.contains("onnx::MatMul_11: 0.11"), "every entry is listed");
  }

  @Test
  void pathsAreShownAbsolute() {
    String html = HtmlReport.render(sample());
    String in = Path.of("in.onnx").toAbsolutePath().normalize().toString();
    String out = Path.of("out.onnx").toAbsolutePath().normalize().toString();
    assertTrue(html.contains("<th>input</th><td>" + HtmlReport.esc(in) + "</td>"), html);
    assertTrue(html.contains("<th>output</th><td>" + HtmlReport.esc(out) + "</td>"), html);
  }

  @Test
  void writerPicksHtmlByExtension() throws IOException {
    Path html = tmp.resolve("r.HTML");
    Path json = tmp.resolve("r.json");
    ReportWriter.write(sample(), html);
    ReportWriter.write(sample(), json);
    assertTrue(Files.readString(html).startsWith("<!DOCTYPE html>"));
    String j = Files.readString(json);
    assertTrue(j.contains("\"environment\"") && j.contains("\"onnxruntime\"") && j.contains("\"fidelity\""), j);
  }

  /**
   * Renders the page in headless Chromium and fails on any console message. Skipped only
   * outside CI when Chromium is not installed; {@code .ci/run} installs it, so in CI
   * ({@code CI=true}) a missing browser fails the test instead of skipping it.
   */
  @Test
  void rendersInHeadlessChromiumWithoutConsoleErrors() throws Exception {
    Path page = tmp.resolve("report.html");
    ReportWriter.write(sample(), page);
    Path shot = tmp.resolve("shot.png");
    Path log = tmp.resolve("chromium.log");
    chromium(page, log, "profile", "--enable-logging=stderr", "--v=0", "--screenshot=" + shot,
        "--window-size=1200,1600");
    String out = Files.readString(log, StandardCharsets.UTF_8);
    List<String> console = out.lines().filter(l -> l.contains("CONSOLE")).toList();
    assertTrue(console.isEmpty(), "console messages: " + console);
    assertTrue(Files.size(shot) > 10_000, "a screenshot was taken");
  }

  /** The page as Chromium parsed it: node names in the per-layer table, timing parts under their stage. */
  @Test
  void chromiumSeesNodeNamesAndTheTimingHierarchy() throws Exception {
    Path page = tmp.resolve("timings.html");
    ReportWriter.write(withTimingsAndEngine(), page);
    Path dom = tmp.resolve("dom.html");
    chromium(page, dom, "profile-dom", "--dump-dom");
    String html = Files.readString(dom, StandardCharsets.UTF_8);
    List<String> order = timingRows(html).stream().map(r -> r[0] + ":" + r[1]).toList();
    assertEquals(List.of("stage:read, inventory and set-up", "stage:zeroth-order importance", "part:dense pass",
        "part:queries", "stage:allocation", "stage:statistics", "part:passes", "stage:write", "total:total"), order);
    String layers = html.substring(html.indexOf("<h2>Per layer</h2>"));
    for (int i = 0; i < 4; i++) {
      assertTrue(layers.contains("<td class=\"name\">/n" + i + "</td>"), "node /n" + i + " in the per-layer table");
    }
  }

  /**
   * Runs headless Chromium on a page with extra flags, its output (and errors) into
   * {@code output}, and checks it ended well. Skipped only outside CI when Chromium is not
   * installed; {@code .ci/run} installs it, so in CI ({@code CI=true}) a missing browser fails.
   */
  private void chromium(Path page, Path output, String profileName, String... flags) throws Exception {
    if ("true".equals(System.getenv("CI"))) {
      assertTrue(Files.isExecutable(CHROMIUM), CHROMIUM + " is missing; .ci/run installs Debian's chromium");
    }
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), "chromium is not installed");
    Path profile = Files.createDirectory(tmp.resolve(profileName));
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--user-data-dir=" + profile));
    cmd.addAll(List.of(flags));
    cmd.add(page.toUri().toString());
    boolean dom = List.of(flags).contains("--dump-dom");
    ProcessBuilder b = new ProcessBuilder(cmd).redirectOutput(output.toFile());
    if (dom) {
      b.redirectError(ProcessBuilder.Redirect.DISCARD);
    } else {
      b.redirectErrorStream(true);
    }
    Process p = b.start();
    assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium finished");
    assertEquals(0, p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
  }
}
