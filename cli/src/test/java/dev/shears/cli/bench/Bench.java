package dev.shears.cli.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.shears.api.SparsityPattern;
import dev.shears.core.calibration.CalibrationBatch;
import dev.shears.core.calibration.CalibrationConfig;
import dev.shears.core.calibration.CalibrationSource;
import dev.shears.core.calibration.HostTensor;
import dev.shears.core.calibration.OrtSessions;
import dev.shears.core.calibration.TrailingPadding;
import dev.shears.core.calibration.source.CalibrationSources;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.SelectionRules;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.ModelWriter;
import dev.shears.core.progress.Progress;
import dev.shears.core.pruning.AutoSearch;
import dev.shears.core.pruning.Mode;
import dev.shears.core.pruning.PruneJob;
import dev.shears.core.pruning.PruneOptions;
import dev.shears.core.report.PruneReport;
import dev.shears.core.strategy.StrategyRegistry;
import dev.shears.testdata.BundledModels;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URL;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The end-to-end bench: for each model, in one JVM, the floor (read + one plain ONNX
 * Runtime pass over the calibration set + write), the defaults as {@code shears prune} runs them
 * (with the allocation guard, {@link AutoSearch#guard}) and without the guard, uniform Wanda and
 * ECoFLaP + Wanda (both sequential) and uniform Wanda one-shot, through {@link PruneJob}, with
 * per-stage wall time, peak heap and peak RSS per run, and the ratios. Run it with
 * {@code scripts/bench.sh}; it is a test-source main, never part of {@code mvn verify}.
 *
 * <p>Arguments: model names ({@code tinyclip}, {@code minilm}; default both), {@code --device D}
 * (default {@code cpu}), {@code --sparsity S} (default 0.5), {@code --warmup N} (unmeasured runs
 * of every configuration first; default 1), {@code --rounds N} (measured rounds, configurations
 * interleaved, medians reported; default 3), {@code --no-one-shot} (skip the one-shot runs),
 * {@code --work DIR} (outputs; default a temporary folder).
 */
public final class Bench {
  private static final double MIB = 1024.0 * 1024.0;

  /** One model's setup. */
  record Subject(String name, Path model, Path calib, Path modelDir, CalibrationSources.Format format,
      int samples, int batch) {}

  /** What one run measured. */
  record Run(String label, Map<String, Double> stages, double total, double peakHeapMib,
      double peakRssMib) {}

  private Bench() {}

  public static void main(String[] args) throws Exception {
    List<String> models = new ArrayList<>();
    String device = "cpu";
    double sparsity = 0.5;
    int rounds = 3;
    int warmups = 1;
    boolean oneShot = true;
    Path work = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--device" -> device = args[++i];
        case "--sparsity" -> sparsity = Double.parseDouble(args[++i]);
        case "--work" -> work = Path.of(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--warmup" -> warmups = Integer.parseInt(args[++i]);
        case "--no-one-shot" -> oneShot = false;
        default -> models.add(args[i]);
      }
    }
    if (models.isEmpty()) {
      models = List.of("tinyclip", "minilm");
    }
    if (work == null) {
      work = Files.createTempDirectory("shears-bench-");
    }
    Files.createDirectories(work);
    StrategyRegistry registry = StrategyRegistry.load(Bench.class.getClassLoader());
    System.out.printf(Locale.ROOT, "shears bench: %d cores, max heap %.0f MiB, device %s, sparsity %.2f, work %s%n",
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / MIB, device,
        sparsity, work);
    for (String m : models) {
      Subject s = subject(m, work);
      bench(s, registry, device, sparsity, warmups, rounds, oneShot, work.resolve(m));
    }
  }

  static Subject subject(String name, Path work) throws IOException {
    return switch (name) {
      case "tinyclip" -> {
        Path dir = BundledModels.tinyClip();
        yield new Subject("tinyclip-shapes", dir.resolve("model.onnx"), dir.resolve("calib"), null,
            CalibrationSources.Format.NPY, CalibrationConfig.DEFAULT_SAMPLES, 16);
      }
      case "minilm" -> {
        Path dir = work.resolve("minilm-model");
        Path model = BundledModels.miniLm(dir);
        if (model == null) {
          throw new IllegalStateException("the all-MiniLM-L6-v2 artifact is not on the class path");
        }
        Path calib = resource("dev/shears/testdata/minilm-calib/captions.jsonl", work.resolve("minilm-calib"));
        // tokenizer.json pads to a fixed 128 tokens, which sets the text length (TextLength)
        yield new Subject("all-MiniLM-L6-v2", model, calib, dir, CalibrationSources.Format.CAPTIONS,
            CalibrationConfig.DEFAULT_SAMPLES, 16);
      }
      default -> throw new IllegalArgumentException("unknown model '" + name + "' (tinyclip, minilm)");
    };
  }

  /** A class-path resource as a file: in place when it is one, else copied into {@code dir}. */
  private static Path resource(String name, Path dir) throws IOException {
    URL url = Bench.class.getClassLoader().getResource(name);
    if (url == null) {
      throw new IllegalStateException(name + " is not on the class path");
    }
    if (url.getProtocol().equals("file")) {
      return Path.of(java.net.URI.create(url.toString()));
    }
    Files.createDirectories(dir);
    Path out = dir.resolve(Path.of(name).getFileName().toString());
    try (InputStream in = url.openStream()) {
      Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
    }
    return out;
  }

  static void bench(Subject s, StrategyRegistry registry, String device, double sparsity, int warmups,
      int rounds, boolean withOneShot, Path out) throws Exception {
    Files.createDirectories(out);
    CalibrationConfig calib = new CalibrationConfig(s.calib(), s.modelDir(), s.format(), s.samples(), s.batch(),
        device);
    int samples;
    try (ModelFile model = ModelFile.read(s.model())) {
      samples = calib.source(model).sampleCount();
    }
    System.out.printf(Locale.ROOT, "%n== %s (%s, %.1f MiB), %d calibration samples, batch %d%n", s.name(),
        s.model().getFileName(), Files.size(s.model()) / MIB, samples, s.batch());
    String defaults = PruneOptions.DEFAULT_ALLOCATOR + " + " + PruneOptions.DEFAULT_SCORER + ", "
        + PruneOptions.DEFAULT_MODE + ", unguarded";
    String guarded = "the defaults (guarded: " + PruneOptions.DEFAULT_ALLOCATOR + " against uniform)";
    Mode defaultMode = Mode.forLabel(PruneOptions.DEFAULT_MODE);

    // warm-up, every configuration once: loads ONNX Runtime and lets the JIT compile each
    // path, so that no configuration pays for compilation the others were spared
    for (int w = 0; w < warmups; w++) {
      measure("floor (warm-up, not used)", () -> floor(s, calib, out));
      measure(defaults + " (warm-up, not used)", () -> prune(s, calib, registry, PruneOptions.DEFAULT_SCORER,
          PruneOptions.DEFAULT_ALLOCATOR, sparsity, defaultMode, out));
      measure(guarded + " (warm-up, not used)", () -> pruneGuarded(s, calib, registry, sparsity, out));
      measure("uniform + wanda (warm-up, not used)",
          () -> prune(s, calib, registry, "uniform", sparsity, Mode.SEQUENTIAL, out));
      measure("ecoflap + wanda (warm-up, not used)",
          () -> prune(s, calib, registry, "ecoflap", sparsity, Mode.SEQUENTIAL, out));
      if (withOneShot) {
        measure("uniform + wanda, one-shot (warm-up, not used)",
            () -> prune(s, calib, registry, "uniform", sparsity, Mode.ONE_SHOT, out));
      }
    }
    List<Run> floors = new ArrayList<>();
    List<Run> defaultRuns = new ArrayList<>();
    List<Run> guardedRuns = new ArrayList<>();
    List<Run> uniforms = new ArrayList<>();
    List<Run> ecoflaps = new ArrayList<>();
    List<Run> oneShots = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      String tag = rounds > 1 ? " #" + round : "";
      floors.add(measure("floor" + tag, () -> floor(s, calib, out)));
      guardedRuns.add(measure(guarded + tag, () -> pruneGuarded(s, calib, registry, sparsity, out)));
      defaultRuns.add(measure(defaults + tag, () -> prune(s, calib, registry, PruneOptions.DEFAULT_SCORER,
          PruneOptions.DEFAULT_ALLOCATOR, sparsity, defaultMode, out)));
      uniforms.add(measure("uniform + wanda" + tag,
          () -> prune(s, calib, registry, "uniform", sparsity, Mode.SEQUENTIAL, out)));
      ecoflaps.add(measure("ecoflap + wanda" + tag,
          () -> prune(s, calib, registry, "ecoflap", sparsity, Mode.SEQUENTIAL, out)));
      if (withOneShot) {
        oneShots.add(measure("uniform + wanda, one-shot" + tag,
            () -> prune(s, calib, registry, "uniform", sparsity, Mode.ONE_SHOT, out)));
      }
    }
    List<Run> shown = new ArrayList<>(List.of(median(floors), median(guardedRuns), median(defaultRuns),
        median(uniforms), median(ecoflaps)));
    if (withOneShot) {
      shown.add(median(oneShots));
    }
    printTable(shown);
    printRatio("ratio (a) uniform wanda / floor           ", uniforms, floors, 1.5);
    if (withOneShot) {
      printRatio("ratio (a) uniform wanda, one-shot / floor ", oneShots, floors, 1.5);
    }
    printRatio("ratio (b) ecoflap / uniform wanda         ", ecoflaps, uniforms, 3);
    printRatio("ratio (c) the defaults / floor            ", guardedRuns, floors, 4);
    if (floors.get(0).stages().containsKey("(same pass, padding cut)")) {
      printRatio("ratio (c) the defaults / floor, padding cut", guardedRuns,
          floors.stream().map(Bench::paddingCut).toList(), 4);
    }
    printRatio("ratio (d) the guard: guarded / unguarded  ", guardedRuns, defaultRuns, 1.5);
  }

  /**
   * {@code top / bottom} as the ratio of their medians over the rounds, with the range of the
   * per-round ratios. Noise on this kind of machine hits single runs independently (a run of
   * tinyclip lasts a fifth of a second), so the ratio of medians is the steadier figure.
   */
  private static void printRatio(String label, List<Run> top, List<Run> bottom, double target) {
    double[] r = new double[top.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = top.get(i).total() / bottom.get(i).total();
    }
    double ratio = median(top).total() / median(bottom).total();
    java.util.Arrays.sort(r);
    String spread = r.length == 1 ? ""
        : String.format(Locale.ROOT, ", per-round ratios %.2f to %.2f", r[0], r[r.length - 1]);
    System.out.printf(Locale.ROOT, "%s= %.2f  (target <= %s)%s%n", label, ratio,
        target == Math.rint(target) ? Integer.toString((int) target) : Double.toString(target), spread);
  }

  private static Run median(List<Run> runs) {
    List<Run> sorted = new ArrayList<>(runs);
    sorted.sort(java.util.Comparator.comparingDouble(Run::total));
    return sorted.get((sorted.size() - 1) / 2);
  }

  interface Work {
    Map<String, Double> run() throws Exception;
  }

  /** Runs one configuration between a GC and peak resets, and reads the peaks after. */
  static Run measure(String label, Work work) throws Exception {
    System.gc();
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      p.resetPeakUsage();
    }
    boolean rssReset = resetPeakRss();
    Map<String, Double> stages = work.run();
    double heap = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP) {
        heap += p.getPeakUsage().getUsed();
      }
    }
    double rss = peakRssKib() / 1024.0;
    double total = stages.get("total");
    System.out.printf(Locale.ROOT, "  %-40s %8.2f s%n", label, total);
    return new Run(label + (rssReset ? "" : " (RSS peak since JVM start)"), stages, total, heap / MIB, rss);
  }

  /** Linux: writing 5 to clear_refs resets the process's peak RSS (VmHWM). */
  private static boolean resetPeakRss() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static long peakRssKib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }

  /**
   * The floor: read the model, one plain ONNX Runtime pass over the same calibration batches
   * (session from the file, default optimizations), write the unchanged model.
   */
  static Map<String, Double> floor(Subject s, CalibrationConfig calib, Path out) throws Exception {
    Map<String, Double> t = new LinkedHashMap<>();
    long start = System.nanoTime();
    long t0 = start;
    try (ModelFile model = ModelFile.read(s.model())) {
      t.put("read", secs(t0));
      t0 = System.nanoTime();
      Inventory.of(model.proto().getGraph(), SelectionRules.DEFAULT);
      double inventory = secs(t0);
      t0 = System.nanoTime();
      CalibrationSource source = calib.source(model);
      OrtEnvironment env = OrtSessions.environment();
      try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
          OrtSession session = env.createSession(s.model().toString(), o)) {
        t.put("session", secs(t0));
        t0 = System.nanoTime();
        passes(session, env, source, s.batch());
        t.put("forward pass", secs(t0));
      }
      t0 = System.nanoTime();
      ModelWriter.write(model.proto(), model, out.resolve("floor.onnx"), ExternalDataPolicy.AUTO);
      t.put("write", secs(t0));
      t.put("total", secs(start));
      t.put("(inventory, not in floor)", inventory);
      // what the engine's sessions give up: the same pass with graph optimizations off
      t0 = System.nanoTime();
      try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
        try (OrtSession session = env.createSession(s.model().toString(), o)) {
          passes(session, env, source, s.batch());
        }
      }
      t.put("(same pass, optimizations off)", secs(t0));
      // Shears cuts tail positions that are padding in every row of a batch (when the sequence
      // axis is dynamic); the floor runs the batches as the tokenizer padded them. The same pass
      // with that cut shows how much of the floor is padding.
      if (TrailingPadding.cuttable(model.proto().getGraph())) {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            OrtSession session = env.createSession(s.model().toString(), o)) {
          t0 = System.nanoTime();
          passes(session, env, source, s.batch(), true);
          t.put("(same pass, padding cut)", secs(t0));
        }
      }
    }
    return t;
  }

  /** The floor with its forward pass replaced by the same pass with padding cut. */
  private static Run paddingCut(Run floor) {
    Double cut = floor.stages().get("(same pass, padding cut)");
    if (cut == null) {
      return floor;
    }
    return new Run(floor.label() + ", padding cut", floor.stages(),
        floor.total() - floor.stages().get("forward pass") + cut, floor.peakHeapMib(), floor.peakRssMib());
  }

  /** One pass over the calibration set, outputs dropped. */
  private static void passes(OrtSession session, OrtEnvironment env, CalibrationSource source, int batchSize)
      throws IOException, OrtException {
    passes(session, env, source, batchSize, false);
  }

  private static void passes(OrtSession session, OrtEnvironment env, CalibrationSource source, int batchSize,
      boolean cutPadding) throws IOException, OrtException {
    try (CalibrationSource.BatchReader reader = source.open(batchSize)) {
      CalibrationBatch batch;
      while ((batch = reader.next()) != null) {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
          Map<String, HostTensor> inputs = cutPadding ? TrailingPadding.cut(batch.inputs()) : batch.inputs();
          for (Map.Entry<String, HostTensor> e : inputs.entrySet()) {
            feeds.put(e.getKey(), tensor(env, e.getValue()));
          }
          try (OrtSession.Result r = session.run(feeds)) {
            r.size();
          }
        } finally {
          feeds.values().forEach(OnnxTensor::close);
        }
      }
    }
  }

  private static OnnxTensor tensor(OrtEnvironment env, HostTensor h) throws OrtException {
    if (h.type() == HostTensor.ElementType.FLOAT) {
      return OnnxTensor.createTensor(env, (FloatBuffer) h.data().duplicate(), h.shape());
    }
    return OnnxTensor.createTensor(env, (LongBuffer) h.data().duplicate(), h.shape());
  }

  static Map<String, Double> prune(Subject s, CalibrationConfig calib, StrategyRegistry registry,
      String allocator, double sparsity, Mode mode, Path out) {
    return prune(s, calib, registry, "wanda", allocator, sparsity, mode, out);
  }

  static Map<String, Double> prune(Subject s, CalibrationConfig calib, StrategyRegistry registry, String scorer,
      String allocator, double sparsity, Mode mode, Path out) {
    PruneOptions options = new PruneOptions(sparsity, SparsityPattern.unstructured(), scorer, allocator, null,
        Map.of(), mode, 0);
    Path output = out.resolve(allocator + "-" + scorer + ".onnx");
    PruneReport report = new PruneJob(s.model(), output, out.resolve(allocator + "-" + scorer + ".json"),
        SelectionRules.DEFAULT, options, ExternalDataPolicy.AUTO)
        .run(registry, Progress.NONE, m -> calib.open(m, Progress.NONE));
    Map<String, Double> t = new LinkedHashMap<>(report.timingsSeconds());
    double named = 0;
    for (Map.Entry<String, Double> e : t.entrySet()) {
      if (!e.getKey().equals("total") && !isPart(e.getKey())) {
        named += e.getValue();
      }
    }
    Map<String, Double> ordered = new LinkedHashMap<>();
    ordered.put("read + inventory + setup", Math.max(0, t.get("total") - named));
    ordered.putAll(t);
    return ordered;
  }

  /**
   * The defaults as {@code shears prune} runs them without {@code --allocator}: the allocation
   * guard's two candidates and their held-out losses; timed by the wall clock, read to write.
   */
  static Map<String, Double> pruneGuarded(Subject s, CalibrationConfig calib, StrategyRegistry registry,
      double sparsity, Path out) {
    PruneOptions options = new PruneOptions(sparsity, SparsityPattern.unstructured(), PruneOptions.DEFAULT_SCORER,
        PruneOptions.DEFAULT_ALLOCATOR, null, Map.of(), Mode.forLabel(PruneOptions.DEFAULT_MODE), 0);
    long start = System.nanoTime();
    PruneReport report = new PruneJob(s.model(), out.resolve("guarded.onnx"), out.resolve("guarded.json"),
        SelectionRules.DEFAULT, options, ExternalDataPolicy.AUTO)
        .run(Progress.NONE, m -> calib.open(m, Progress.NONE), null, AutoSearch.guard(registry, Progress.NONE, options));
    double total = secs(start);
    double guard = ((Number) report.search().get("seconds")).doubleValue();
    Map<String, Double> stages = new LinkedHashMap<>();
    stages.put("read + inventory + write", Math.max(0, total - guard));
    stages.put("guard: both candidates and their held-out losses", guard);
    stages.put("total", total);
    return stages;
  }

  /** A part of a stage ({@code statistics / passes}), already counted in the stage. */
  private static boolean isPart(String stage) {
    return stage.contains(" / ");
  }

  private static double secs(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static void printTable(List<Run> runs) {
    for (Run r : runs) {
      System.out.printf(Locale.ROOT, "%s%n", r.label());
      for (Map.Entry<String, Double> e : r.stages().entrySet()) {
        if (e.getKey().equals("total")) {
          continue;
        }
        boolean outside = e.getKey().startsWith("(") || isPart(e.getKey());
        System.out.printf(Locale.ROOT, "  %-28s %8.3f s  %s%n", e.getKey(), e.getValue(),
            outside ? "" : String.format(Locale.ROOT, "%5.1f %%", 100 * e.getValue() / r.total()));
      }
      System.out.printf(Locale.ROOT, "  %-28s %8.3f s  peak heap %.0f MiB, peak RSS %.0f MiB%n", "total",
          r.total(), r.peakHeapMib(), r.peakRssMib());
    }
  }

}
