package dev.shears.cli;

import dev.shears.api.InvalidConfigurationException;
import dev.shears.api.SparsityPattern;
import dev.shears.core.onnx.ExternalDataPolicy;
import dev.shears.core.pruning.AutoSearch;
import dev.shears.core.pruning.Mode;
import dev.shears.core.pruning.PruneJob;
import dev.shears.core.pruning.PruneOptions;
import dev.shears.core.progress.Progress;
import dev.shears.core.report.PruneReport;
import dev.shears.core.strategy.StrategyRegistry;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code shears prune}: writes a pruned copy of a model, or converts it in place. */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = "Prune an ONNX model and write the result.")
final class PruneCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "MODEL", description = "The .onnx file to prune.")
  Path model;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  static final class Target {
    @Option(names = {"-o", "--output"}, paramLabel = "OUT", required = true,
        description = "Write the pruned model here (its folder must exist). Ending in '/', a model folder: "
            + "OUT/model.onnx with MODEL's tokenizer, preprocessor and config files copied beside it.")
    String output;

    @Option(names = "--in-place", required = true,
        description = "Replace MODEL atomically: it is never left half-written.")
    boolean inPlace;
  }

  @Option(names = "--sparsity", paramLabel = "S",
      description = "Fraction of prunable weights to remove, in (0, 1). Implied by an N:M --pattern.")
  Double sparsity;

  @Option(names = "--scorer", paramLabel = "NAME", defaultValue = PruneOptions.DEFAULT_SCORER,
      description = "Fine-stage strategy (default: ${DEFAULT-VALUE}; see shears plugins).")
  String scorer;

  @Option(names = "--allocator", paramLabel = "NAME", defaultValue = PruneOptions.DEFAULT_ALLOCATOR,
      description = "Coarse-stage strategy (default: ${DEFAULT-VALUE}, whose model is kept only when its calibration "
          + "loss on the last samples is not above uniform's; see shears plugins).")
  String allocator;

  @Option(names = "--loss", paramLabel = "NAME",
      description = "Calibration loss for zeroth-order importance or measured sensitivity (default: picked from the model's outputs).")
  String loss;

  @Option(names = "--pattern", paramLabel = "PATTERN", defaultValue = "unstructured",
      description = "unstructured or N:M along the input dimension, like 2:4 (default: ${DEFAULT-VALUE}).")
  String pattern;

  @Option(names = "--mode", paramLabel = "MODE", defaultValue = PruneOptions.DEFAULT_MODE,
      description = "sequential (statistics after earlier blocks are pruned) or one-shot (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(names = "--strategy", paramLabel = "auto",
      description = "auto: try a bounded list of configurations and keep the best: allocators uniform, ecoflap and "
          + "sensitivity (unstructured sparsity only) x scorers wanda and sparsegpt, one-shot (6 candidates; with an N:M --pattern "
          + "the 2 scorers). Each is pruned with the calibration samples less the last quarter (at least one loss "
          + "batch) and scored by the calibration loss on those held-out samples; lowest loss wins, ties go to the "
          + "earlier. --allocator, --scorer or --mode given explicitly fix that dimension. Needs --calib.")
  String strategy;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "0",
      description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--param", paramLabel = "KEY=VALUE",
      description = "A strategy parameter, like scorer.group=per-tensor (repeatable).")
  Map<String, String> params = new LinkedHashMap<>();

  @Option(names = "--report", paramLabel = "FILE",
      description = "Write a report here: JSON, or a self-contained HTML page when FILE ends in .html.")
  Path report;

  @Option(names = "--external-data", paramLabel = "WHEN", defaultValue = "auto",
      description = "auto, always or never store weights in OUT.data (default: ${DEFAULT-VALUE}: when the input did, or past 2 GB).")
  String externalData;

  @Option(names = "--storage", paramLabel = "HOW", defaultValue = "dense",
      description = "dense (pruned weights as zeros) or sparse (pruned tensors as ONNX sparse_initializer, "
          + "int64 linear indices; shears densify turns them back) (default: ${DEFAULT-VALUE}).")
  String storage;

  @Option(names = "--verify", description = "After writing, load OUT in ONNX Runtime and print its fidelity "
      + "to MODEL on one calibration batch (needs --calib).")
  boolean verify;

  @Mixin CalibrationOptions calibration;
  @Mixin SelectionOptions selection;
  @Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    // Every usage error is found here, before the model is read or any pass runs.
    PruneOptions options = options();
    calibration.validate();
    boolean folder = !target.inPlace && PruneExtras.namesFolder(target.output);
    Path output = target.inPlace ? model : folder ? Path.of(target.output).resolve("model.onnx") : Path.of(target.output);
    if (!target.inPlace && !folder && Files.isDirectory(output)) {
      throw new InvalidConfigurationException("-o " + output + ": is a folder; give the file to write, like "
          + output.resolve("model.onnx") + ", or end it with '/' to write a model folder");
    }
    if (folder) {
      PruneExtras.checkModelFolder(Path.of(target.output), model);
    }
    if (report != null && Files.isDirectory(report)) {
      throw new InvalidConfigurationException("--report " + report + ": is a folder; give the file to write, like "
          + report.resolve("report.html"));
    }
    if (!target.inPlace && Files.exists(output) && Files.exists(model) && sameFile(output, model)) {
      throw new InvalidConfigurationException("-o " + output + " is the input model; use --in-place to convert it in place");
    }
    ExternalDataPolicy policy = switch (externalData) {
      case "auto" -> ExternalDataPolicy.AUTO;
      case "always" -> ExternalDataPolicy.ALWAYS;
      case "never" -> ExternalDataPolicy.NEVER;
      default -> throw new InvalidConfigurationException("--external-data must be auto, always or never, got '" + externalData + "'");
    };
    var storageKind = PruneExtras.storage(storage, verify, calibration);
    if (strategy != null && !strategy.equals("auto")) {
      throw new InvalidConfigurationException("--strategy must be auto (the only search so far), got '" + strategy + "'");
    }
    if (strategy != null && calibration.calib == null) {
      throw new InvalidConfigurationException("--strategy auto scores its candidates by the calibration loss on "
          + "held-out samples: give --calib PATH");
    }
    StrategyRegistry registry = common.registry();
    // a missing --calib is reported when the model is read and its inventory known, before any pass
    String needer = PruneExtras.checkStrategies(registry, options);
    Progress progress = common.progress();
    // without --allocator, the default allocator's model is kept only when it beats uniform's
    boolean guarded = strategy == null && !spec.commandLine().getParseResult().hasMatchedOption("--allocator")
        && options.pattern().isUnstructured() && needer != null && options.sparsity() > 0;
    AutoSearch search = strategy != null ? search(registry, progress, options)
        : guarded ? AutoSearch.guard(registry, progress, options) : null;
    PruneJob job = new PruneJob(model, output, report, selection.rules(), options, policy, storageKind);
    var verifier = PruneExtras.verifier(verify, model, calibration);
    boolean created = folder && PruneExtras.createFolder(output.getParent());
    PruneReport done;
    try {
      done = search == null ? job.run(registry, progress, calibration.engines(progress, needer), verifier)
          : job.run(progress, calibration.engines(progress, search.isGuard() ? needer : "--strategy auto needs"),
              verifier, search);
    } catch (RuntimeException | Error e) {
      if (created) {
        PruneExtras.removeIfEmpty(output.getParent());
      }
      throw e;
    }
    PrintWriter out = spec.commandLine().getOut();
    common.releaseNotes();
    Summary.printSearch(done, out);
    Summary.print(done, out);
    if (folder) {
      Path from = calibration.modelDir != null ? calibration.modelDir : model.toAbsolutePath().getParent();
      java.util.List<String> copied = PruneExtras.copySideFiles(from, output.getParent());
      out.println(copied.isEmpty() ? "no side files found in " + from + " to copy"
          : "copied " + String.join(", ", copied) + " from " + from);
    }
    PruneExtras.printVerification(model, done, out);
    out.flush();
    return ShearsCommand.OK;
  }

  /**
   * {@code --strategy auto}'s candidates: the dimensions the user fixed with an explicit
   * {@code --allocator}, {@code --scorer} or {@code --mode}, the rest searched; every candidate's
   * strategies are checked before any work.
   */
  private AutoSearch search(StrategyRegistry registry, Progress progress, PruneOptions options) {
    CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    List<String> allocators = parsed.hasMatchedOption("--allocator") ? List.of(allocator) : AutoSearch.ALLOCATORS;
    List<String> scorers = parsed.hasMatchedOption("--scorer") ? List.of(scorer) : AutoSearch.SCORERS;
    Mode m = parsed.hasMatchedOption("--mode") ? options.mode() : AutoSearch.MODE;
    AutoSearch search = new AutoSearch(registry, progress, options, allocators, scorers, m);
    for (AutoSearch.Candidate c : search.candidates()) {
      PruneExtras.checkStrategies(registry, new PruneOptions(options.sparsity(), options.pattern(), c.scorer(),
          c.allocator() != null ? c.allocator() : options.allocator(), options.loss(), options.params(), m,
          options.seed()));
    }
    return search;
  }

  private static boolean sameFile(Path a, Path b) {
    try {
      return Files.isSameFile(a, b);
    } catch (java.io.IOException e) {
      return false;
    }
  }

  PruneOptions options() {
    SparsityPattern p;
    try {
      p = SparsityPattern.parse(pattern);
    } catch (InvalidConfigurationException e) {
      // the api says what a pattern is; the flag's name is the command line's to add
      throw new InvalidConfigurationException("--pattern: " + e.getMessage());
    }
    double s;
    if (p.isUnstructured()) {
      if (sparsity == null) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--sparsity is required (or give an N:M --pattern)");
      }
      s = sparsity;
    } else {
      s = p.impliedSparsity();
      if (sparsity != null && Math.abs(sparsity - s) > 1e-9) {
        throw new InvalidConfigurationException("--sparsity " + sparsity + " conflicts with --pattern " + p
            + ", which implies " + s);
      }
    }
    if (!(s > 0 && s < 1)) {
      throw new InvalidConfigurationException("--sparsity must be in (0, 1), got " + s
          + (s == 0 ? " (0 would prune nothing and write a copy)" : ""));
    }
    Mode m = Mode.forLabel(mode);
    if (m == null) {
      throw new InvalidConfigurationException("--mode must be sequential or one-shot, got '" + mode + "'");
    }
    return new PruneOptions(s, p, scorer, allocator, loss, params, m, seed);
  }
}
