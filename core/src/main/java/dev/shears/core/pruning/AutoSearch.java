package dev.shears.core.pruning;

import dev.shears.api.CalibrationLoss;
import dev.shears.api.Evidence;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.RunContext;
import dev.shears.api.StrategyKind;
import dev.shears.api.ZerothOrderSettings;
import dev.shears.core.evidence.HeldOutLoss;
import dev.shears.core.evidence.LayerStatistics;
import dev.shears.core.evidence.StatisticsEngine;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.onnx.TensorStore;
import dev.shears.core.progress.Progress;
import dev.shears.core.strategy.StrategyRegistry;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code --strategy auto}: prunes with each configuration of a bounded candidate list, scores each
 * result by the calibration loss on held-out samples (forward passes only), and keeps the best.
 *
 * <p>The last {@code max(⌈25%⌉, one loss batch)} calibration samples are held out; every
 * candidate is pruned with the others, so the held-out loss in the table describes exactly the
 * model written. One model read, one inventory, one calibration engine; one-shot statistics are
 * taken once, for the union of what the candidates' scorers read, and the zeroth-order
 * importance once, for every candidate that allocates with it. Lowest held-out loss wins; a tie
 * goes to the earlier candidate. Everything is seeded, so the result is deterministic.
 */
public final class AutoSearch implements PruneJob.Pruner {
  /** The allocators searched unless {@code --allocator} fixes one (unstructured sparsity only). */
  public static final List<String> ALLOCATORS = List.of("uniform", "ecoflap", "sensitivity");
  /** The scorers searched unless {@code --scorer} fixes one. */
  public static final List<String> SCORERS = List.of("wanda", "sparsegpt");
  private static final String UNIFORM = "uniform";
  /** The mode unless {@code --mode} fixes one. */
  public static final Mode MODE = Mode.ONE_SHOT;

  private final StrategyRegistry registry;
  private final Progress progress;
  private final PruneOptions options;
  private final List<Candidate> candidates;
  /** Whether this is the defaults' allocation guard rather than {@code --strategy auto}. */
  private final boolean guard;

  /**
   * One configuration tried.
   *
   * @param allocator the allocator, or {@code null} with an N:M pattern (none is used)
   * @param scorer the scorer
   * @param mode one-shot or sequential statistics
   */
  public record Candidate(String allocator, String scorer, Mode mode) {
    @Override
    public String toString() {
      return (allocator == null ? "" : allocator + " + ") + scorer + ", " + mode.label();
    }
  }

  /**
   * A search over {@code allocators × scorers} in that order (allocator-major), each with
   * {@code mode}; with an N:M pattern over the scorers alone.
   *
   * @param options the user's options: sparsity, pattern, loss, parameters, seed (its scorer,
   *     allocator and mode are replaced by each candidate's)
   */
  public AutoSearch(StrategyRegistry registry, Progress progress, PruneOptions options, List<String> allocators,
      List<String> scorers, Mode mode) {
    this(registry, progress, options, candidates(options, allocators, scorers, mode), false);
  }

  private AutoSearch(StrategyRegistry registry, Progress progress, PruneOptions options, List<Candidate> candidates,
      boolean guard) {
    this.registry = registry;
    this.progress = progress;
    this.options = options;
    this.candidates = candidates;
    this.guard = guard;
  }

  /**
   * The defaults' allocation guard (ALGORITHM.md §4): the options' allocator, then
   * {@code uniform}, both with the options' scorer and mode and pruned with every calibration
   * sample; the one whose model scores the lower loss on the last samples is written (a tie
   * keeps the allocator's). A measured allocation can follow the noise of its loss curves to a
   * model worse than uniform's; the last samples are ones its curves did not read whenever the
   * calibration set holds more than the allocator measures on and a quarter besides.
   */
  public static AutoSearch guard(StrategyRegistry registry, Progress progress, PruneOptions options) {
    if (!options.pattern().isUnstructured()) {
      throw new IllegalArgumentException("the allocation guard needs unstructured sparsity: " + options.pattern());
    }
    return new AutoSearch(registry, progress, options, List.of(
        new Candidate(options.allocator(), options.scorer(), options.mode()),
        new Candidate(UNIFORM, options.scorer(), options.mode())), true);
  }

  /**
   * Whether {@code c} is the guard's uniform candidate, which takes none of the allocator
   * parameters: they are the guarded allocator's.
   */
  private boolean guardsWith(Candidate c) {
    return guard && UNIFORM.equals(c.allocator()) && !UNIFORM.equals(options.allocator());
  }

  /** Whether this is the defaults' allocation guard. */
  public boolean isGuard() {
    return guard;
  }

  /** The candidates, in the order they are tried (and ties are broken). */
  public static List<Candidate> candidates(PruneOptions options, List<String> allocators, List<String> scorers,
      Mode mode) {
    List<Candidate> list = new ArrayList<>();
    if (!options.pattern().isUnstructured()) {
      scorers.forEach(s -> list.add(new Candidate(null, s, mode)));
      return List.copyOf(list);
    }
    for (String a : allocators) {
      for (String s : scorers) {
        list.add(new Candidate(a, s, mode));
      }
    }
    return List.copyOf(list);
  }

  public List<Candidate> candidates() {
    return candidates;
  }

  /** Held-out samples out of {@code samples}: ⌈25%⌉, and at least one loss batch. */
  public static int heldOutCount(int samples, int lossBatch) {
    return Math.max((samples + 3) / 4, lossBatch);
  }

  /** The options one candidate runs with; {@code loss} is the resolved loss's name. */
  PruneOptions optionsFor(Candidate c, String loss, Set<Evidence> allocatorEvidence) {
    boolean usesLoss = c.allocator() != null && (allocatorEvidence.contains(Evidence.ZEROTH_ORDER_IMPORTANCE)
        || allocatorEvidence.contains(Evidence.PRUNED_LOSS));
    Map<String, String> params = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : options.params().entrySet()) {
      boolean lossParam = e.getKey().startsWith(StrategyKind.LOSS.label() + ".");
      boolean allocatorParam = e.getKey().startsWith(StrategyKind.ALLOCATOR.label() + ".");
      if ((usesLoss || !lossParam) && !(allocatorParam && guardsWith(c))) {
        params.put(e.getKey(), e.getValue());
      }
    }
    // with N:M no allocator runs; the pipeline still needs a name, and uniform reads no evidence
    String allocator = c.allocator() != null ? c.allocator() : "uniform";
    return new PruneOptions(options.sparsity(), options.pattern(), c.scorer(), allocator, usesLoss ? loss : null,
        params, c.mode(), options.seed());
  }

  @Override
  public PruningPipeline.Result prune(ModelFile model, Inventory inventory, Supplier<StatisticsEngine> engines) {
    long start = System.nanoTime();
    Map<StrategyKind, Map<String, String>> params = options.paramsByKind();
    LossChoice choice = LossChoice.of(registry, model, options.loss(), params.get(StrategyKind.LOSS), progress);
    CalibrationLoss loss = choice.loss();
    String lossName = choice.name();
    int lossBatch = loss.preferredBatchSize();

    // what the candidates read: allocators' evidence by name, and the union of one-shot statistics
    RunContext context = new RunContext(options.seed(), String.valueOf(model.path().getFileName()));
    Map<String, Set<Evidence>> allocatorEvidence = new LinkedHashMap<>();
    Set<Evidence> prefetch = EnumSet.noneOf(Evidence.class);
    for (Candidate c : candidates) {
      if (c.allocator() != null) {
        Map<String, String> allocatorParams = guardsWith(c) ? Map.of() : params.get(StrategyKind.ALLOCATOR);
        Set<Evidence> e = allocatorEvidence.computeIfAbsent(c.allocator(), a ->
            new Guarded.GuardedAllocator(registry, a, allocatorParams).evidence());
        e.stream().filter(k -> k != Evidence.ZEROTH_ORDER_IMPORTANCE).forEach(prefetch::add);
      }
      if (c.mode() == Mode.ONE_SHOT) {
        prefetch.addAll(new Guarded.GuardedScorer(registry, c.scorer(), params.get(StrategyKind.SCORER), context)
            .evidence());
      }
    }

    StatisticsEngine.HeldOutSplit split;
    int samples;
    int held;
    int fit;
    try (StatisticsEngine engine = engines.get()) {
      samples = engine.sampleCount();
      held = heldOutCount(samples, lossBatch);
      if (guard && held > samples) {
        // decided here, run below: the plain prune opens its own engine once this one is closed
        split = null;
        fit = samples;
      } else if (guard) {
        fit = samples;
        progress.note(String.format(Locale.ROOT, "allocation guard: %s against uniform, pruned with all %d "
            + "calibration samples and scored by the %s loss on the last %d", options.allocator(), samples, lossName,
            held));
        split = engine.holdOut(held, true, loss, options.seed());
      } else {
        if (samples - held < lossBatch) {
          throw new InvalidConfigurationException(String.format(Locale.ROOT,
              "--calib: %d calibration sample%s are too few for --strategy auto, which holds out the last %d "
                  + "(a quarter, and at least one %s loss batch of %d) to score the candidates and prunes with "
                  + "the rest (at least %d more); give at least %d samples (--calib, --calib-samples)",
              samples, samples == 1 ? "" : "s", held, lossName, lossBatch, lossBatch, 2 * lossBatch));
        }
        progress.note(String.format(Locale.ROOT, "strategy auto: %d candidates, pruned with the first %d of %d "
            + "calibration samples and scored by the %s loss on the last %d", candidates.size(), samples - held,
            samples, lossName, held));
        fit = samples - held;
        split = engine.holdOut(held, loss, options.seed());
      }
    }
    if (split == null) {
      progress.note(String.format(Locale.ROOT, "allocation guard skipped: %d calibration sample%s, fewer than "
          + "one %s loss batch (%d); %s is not compared with uniform", samples, samples == 1 ? "" : "s",
          lossName, lossBatch, options.allocator()));
      return new PruningPipeline(registry, progress).run(model, inventory, options, engines);
    }

    List<Map<String, Object>> rows = new ArrayList<>();
    PruningPipeline.Result best = null;
    int bestIndex = -1;
    double bestLoss = Double.NaN;
    double[] alone = new double[candidates.size()];
    double dense;
    Shared shared = new Shared(split.fit(), inventory.prunable(), prefetch);
    try (HeldOutLoss heldOut = split.heldOut()) {
      dense = heldOut.dense();
      for (int i = 0; i < candidates.size(); i++) {
        Candidate c = candidates.get(i);
        progress.note((guard ? "allocation guard" : "strategy auto") + ": candidate " + (i + 1) + " of "
            + candidates.size() + ": " + c);
        PruneOptions o = optionsFor(c, lossName,
            c.allocator() == null ? Set.of() : allocatorEvidence.get(c.allocator()));
        long t0 = System.nanoTime();
        shared.startCandidate();
        PruningPipeline.Result r = new PruningPipeline(registry, progress).run(model, inventory, o, () -> shared);
        double l;
        try {
          l = heldOut.loss(r.pruned());
        } catch (RuntimeException | Error e) {
          r.close();
          throw e;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        // its cost alone: what it spent here, less shared work it paid for others, plus shared work it used
        alone[i] = seconds - shared.paidSeconds() + shared.usedSeconds();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("allocator", c.allocator());
        row.put("scorer", c.scorer());
        row.put("mode", c.mode().label());
        row.put("heldOutLoss", l);
        row.put("lossIncrease", l - dense);
        row.put("seconds", round(seconds));
        rows.add(row);
        boolean better = !Double.isNaN(l) && (best == null || Double.isNaN(bestLoss) || l < bestLoss);
        if (better) {
          if (best != null) {
            best.close();
          }
          best = r;
          bestLoss = l;
          bestIndex = i;
        } else if (best == null) {
          best = r; // every loss so far is NaN: keep the first
          bestIndex = i;
        } else {
          r.close();
        }
      }
    } catch (RuntimeException | Error e) {
      if (best != null) {
        best.close();
      }
      throw e;
    } finally {
      shared.closeEngine();
    }
    for (int i = 0; i < rows.size(); i++) {
      rows.get(i).put("winner", i == bestIndex);
    }
    double total = (System.nanoTime() - start) / 1e9;
    double oneByOne = 0;
    for (double a : alone) {
      oneByOne += a;
    }
    Candidate w = candidates.get(bestIndex);
    Map<String, Object> search = new LinkedHashMap<>();
    search.put("strategy", guard ? "guard" : "auto");
    search.put("loss", lossName);
    search.put("calibrationSamples", samples);
    search.put("fitSamples", fit);
    search.put("heldOutSamples", held);
    search.put("denseLoss", dense);
    search.put("candidates", rows);
    Map<String, Object> winner = new LinkedHashMap<>();
    winner.put("allocator", w.allocator());
    winner.put("scorer", w.scorer());
    winner.put("mode", w.mode().label());
    search.put("winner", winner);
    search.put("seconds", round(total));
    search.put("winnerAloneSeconds", round(alone[bestIndex]));
    search.put("costInWinnerPrunes", round(total / alone[bestIndex]));
    search.put("oneByOneSeconds", round(oneByOne));
    search.put("firstAloneSeconds", round(alone[0]));
    // what a plain prune with no strategy flags costs: the default allocator's candidate and,
    // for its allocation guard, uniform's with the same scorer and mode
    int guarded = -1;
    int uniform = -1;
    for (int i = 0; i < candidates.size(); i++) {
      Candidate c = candidates.get(i);
      if (PruneOptions.DEFAULT_SCORER.equals(c.scorer()) && c.mode() == Mode.forLabel(PruneOptions.DEFAULT_MODE)) {
        if (PruneOptions.DEFAULT_ALLOCATOR.equals(c.allocator())) {
          guarded = i;
        } else if (UNIFORM.equals(c.allocator())) {
          uniform = i;
        }
      }
    }
    if (!guard && guarded >= 0 && uniform >= 0) {
      double defaults = alone[guarded] + alone[uniform];
      search.put("defaultAloneSeconds", round(defaults));
      search.put("costInDefaultPrunes", round(total / defaults));
    }
    progress.note((guard ? "allocation guard" : "strategy auto") + ": winner " + w + " (held-out " + lossName + " loss "
        + String.format(Locale.ROOT, "%.6g", bestLoss) + ")");
    return new PruningPipeline.Result(best.pruned(), best.report().withSearch(search), best.device());
  }

  private static double round(double seconds) {
    return Math.round(seconds * 1000) / 1000.0;
  }

  /**
   * The fit engine as every candidate sees it: one-shot statistics are taken once, for every
   * prunable tensor and the union of the kinds the candidates read, and zeroth-order importance
   * once per settings and seed; both are then served from memory. Sequential passes go to the
   * engine (they depend on the candidate's pruned weights). Closing it (the pipeline does after
   * each run) does nothing; the search closes the engine at the end.
   */
  private static final class Shared implements StatisticsEngine {
    private final StatisticsEngine engine;
    private final List<PrunableTensor> all;
    private final Set<Evidence> prefetch;
    private Set<Evidence> kinds = EnumSet.noneOf(Evidence.class);
    private Map<String, LayerStatistics> stats;
    private double statsSeconds;
    private final Map<List<Object>, Map<String, Double>> importance = new LinkedHashMap<>();
    private final Map<List<Object>, Double> importanceSeconds = new LinkedHashMap<>();
    /** Shared work the current candidate computed, and shared work it used (computed or not). */
    private double paid;
    private double used;
    private boolean usedStats;

    Shared(StatisticsEngine engine, List<PrunableTensor> all, Set<Evidence> prefetch) {
      this.engine = engine;
      this.all = all;
      this.prefetch = prefetch;
    }

    void startCandidate() {
      paid = 0;
      used = 0;
      usedStats = false;
    }

    double paidSeconds() {
      return paid;
    }

    double usedSeconds() {
      return used;
    }

    @Override
    public Map<String, LayerStatistics> oneShot(List<PrunableTensor> tensors, Set<Evidence> wanted) {
      boolean covered = stats != null && kinds.containsAll(wanted)
          && tensors.stream().allMatch(t -> stats.containsKey(t.name()));
      if (!covered) {
        Set<Evidence> union = EnumSet.noneOf(Evidence.class);
        union.addAll(prefetch);
        union.addAll(kinds);
        union.addAll(wanted);
        long t0 = System.nanoTime();
        stats = engine.oneShot(all, union);
        double s = (System.nanoTime() - t0) / 1e9;
        kinds = union;
        statsSeconds = s;
        paid += s;
      }
      if (!usedStats) {
        used += statsSeconds;
        usedStats = true;
      }
      Map<String, LayerStatistics> out = new LinkedHashMap<>();
      for (PrunableTensor t : tensors) {
        out.put(t.name(), stats.get(t.name()));
      }
      return out;
    }

    @Override
    public SequentialPass sequential(Set<Evidence> wanted, TensorStore prunedWeights,
        List<List<PrunableTensor>> stages) {
      return engine.sequential(wanted, prunedWeights, stages);
    }

    @Override
    public Map<String, Double> blockImportance(Map<String, List<PrunableTensor>> blocks,
        ZerothOrderSettings settings, CalibrationLoss loss, long seed) {
      // one loss per search: the key is what else the estimate depends on
      List<Object> key = List.of(List.copyOf(blocks.keySet()), settings, seed);
      Map<String, Double> known = importance.get(key);
      if (known == null) {
        long t0 = System.nanoTime();
        known = engine.blockImportance(blocks, settings, loss, seed);
        double s = (System.nanoTime() - t0) / 1e9;
        importance.put(key, known);
        importanceSeconds.put(key, s);
        paid += s;
      }
      used += Objects.requireNonNull(importanceSeconds.get(key));
      return known;
    }

    @Override
    public BlockLosses blockLosses(Map<String, List<PrunableTensor>> blocks, ZerothOrderSettings settings,
        CalibrationLoss loss, long seed) {
      // measured with the candidate's own scorer, so nothing to share: its time is the candidate's
      return engine.blockLosses(blocks, settings, loss, seed);
    }

    @Override
    public Map<String, Object> diagnostics() {
      return new LinkedHashMap<>(engine.diagnostics());
    }

    @Override
    public Map<String, Double> timingsSeconds() {
      return engine.timingsSeconds();
    }

    @Override
    public String device() {
      return engine.device();
    }

    @Override
    public void close() {
      // each candidate's pipeline closes its engine; the search closes the real one once, below
    }

    /** Closes the engine. */
    void closeEngine() {
      engine.close();
    }
  }
}
