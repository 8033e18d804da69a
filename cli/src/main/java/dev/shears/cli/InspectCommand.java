package dev.shears.cli;

import dev.shears.core.ShearsException;
import dev.shears.core.graph.Inventory;
import dev.shears.core.graph.PrunableTensor;
import dev.shears.core.graph.SkippedTensor;
import dev.shears.core.onnx.ModelFile;
import dev.shears.core.pruning.PruneJob;
import dev.shears.core.report.ReportWriter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code shears inspect}: what in a model is prunable. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "List towers, blocks, prunable tensors and skipped tensors of an ONNX model.")
final class InspectCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "MODEL", description = "The .onnx file.")
  Path model;

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Mixin SelectionOptions selection;
  @Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (ModelFile m = ModelFile.read(model)) {
      Inventory inv = Inventory.of(m.proto().getGraph(), selection.rules());
      String sparse = PruneJob.sparseInitializersProblem(m, inv);
      if (sparse != null) {
        throw new ShearsException(sparse);
      }
      if (json) {
        out.println(ReportWriter.toJson(toJson(inv)));
      } else {
        print(inv, out);
      }
    }
    out.flush();
    return ShearsCommand.OK;
  }

  private Map<String, Object> toJson(Inventory inv) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("model", model.toString());
    List<Map<String, Object>> towers = new ArrayList<>();
    Map<String, List<PrunableTensor>> blocks = inv.blocks();
    for (Map.Entry<String, List<String>> t : inv.towers().entrySet()) {
      List<Map<String, Object>> bs = new ArrayList<>();
      for (String b : t.getValue()) {
        List<Map<String, Object>> ts = new ArrayList<>();
        for (PrunableTensor p : blocks.get(b)) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("name", p.name());
          m.put("nodes", p.consumers().stream().map(c -> c.node()).toList());
          m.put("shape", p.storedShape());
          m.put("dtype", p.dataType().name().toLowerCase(Locale.ROOT));
          m.put("layout", p.layout() == dev.shears.core.graph.WeightLayout.IN_OUT ? "[in, out]" : "[out, in]");
          m.put("parameters", p.parameters());
          if (p.consumers().size() > 1) {
            m.put("tied", true);
          }
          ts.add(m);
        }
        bs.add(Map.of("name", b, "tensors", ts));
      }
      towers.add(Map.of("name", t.getKey(), "blocks", bs));
    }
    root.put("towers", towers);
    List<Map<String, String>> skipped = new ArrayList<>();
    for (SkippedTensor s : inv.skipped()) {
      skipped.add(s.describe());
    }
    root.put("skipped", skipped);
    root.put("totals", Map.of("towers", inv.towers().size(), "blocks", blocks.size(),
        "prunableTensors", inv.prunable().size(), "prunableParameters", inv.parameters(),
        "skippedTensors", inv.skipped().size()));
    return root;
  }

  private void print(Inventory inv, PrintWriter out) {
    Map<String, List<PrunableTensor>> blocks = inv.blocks();
    for (Map.Entry<String, List<String>> t : inv.towers().entrySet()) {
      out.printf("tower %s (%s)%n", t.getKey().isEmpty() ? "(none)" : t.getKey(), plural(t.getValue().size(), "block"));
      for (String b : t.getValue()) {
        List<PrunableTensor> ts = blocks.get(b);
        long params = ts.stream().mapToLong(PrunableTensor::parameters).sum();
        out.printf("  block %s: %s, %,d weights%n", b, plural(ts.size(), "tensor"), params);
        for (PrunableTensor p : ts) {
          out.printf("    %-28s %-10s %-8s %s%n", p.name(), Arrays.toString(p.storedShape()),
              p.dataType().name().toLowerCase(Locale.ROOT), p.consumers().get(0).node()
                  + (p.consumers().size() > 1 ? " (tied: used by " + p.consumers().size() + " nodes)" : ""));
        }
      }
    }
    if (!inv.skipped().isEmpty()) {
      out.println("skipped:");
      for (SkippedTensor s : inv.skipped()) {
        out.printf("  %-28s %s (%s)%n", s.name(), s.reason(), s.node());
      }
    }
    out.printf("total: %s in %s of %s, %,d weights; %d skipped%n",
        plural(inv.prunable().size(), "prunable tensor"), plural(blocks.size(), "block"),
        plural(inv.towers().size(), "tower"), inv.parameters(), inv.skipped().size());
  }

  static String plural(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
