package dev.shears.cli;

import dev.shears.api.ParamSpec;
import dev.shears.api.StrategyKind;
import dev.shears.core.report.ReportWriter;
import dev.shears.core.strategy.StrategyRegistry;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code shears plugins}: the strategies found, built-in and on the plugin path, with their
 * parameters and the jar or folder each came from. Plugins that failed to load are warned
 * about on stderr (and listed under {@code problems} with {@code --json}).
 */
@Command(name = "plugins", mixinStandardHelpOptions = true,
    description = "List the scorers, allocators and losses found, with their parameters.")
final class PluginsCommand implements Callable<Integer> {
  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @Mixin CommonOptions common;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    StrategyRegistry registry = common.registry();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      List<Map<String, Object>> all = new ArrayList<>();
      for (StrategyKind kind : StrategyKind.values()) {
        for (StrategyRegistry.Entry e : registry.entries(kind)) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("name", e.provider().name());
          m.put("kind", kind.label());
          m.put("description", e.provider().description());
          List<Map<String, Object>> ps = new ArrayList<>();
          for (ParamSpec p : e.provider().parameters()) {
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("name", kind.label() + "." + p.name());
            pm.put("type", p.type().name().toLowerCase(java.util.Locale.ROOT));
            pm.put("default", p.defaultValue());
            if (!p.choices().isEmpty()) {
              pm.put("choices", p.choices());
            }
            if (p.min() != null) {
              pm.put("min", p.min());
            }
            if (p.max() != null) {
              pm.put("max", p.max());
            }
            pm.put("description", p.description());
            ps.add(pm);
          }
          m.put("parameters", ps);
          m.put("source", e.source());
          m.put("apiVersion", e.provider().apiVersion());
          m.put("version", CommonOptions.version(e));
          all.add(m);
        }
      }
      Map<String, Object> root = new LinkedHashMap<>();
      root.put("strategies", all);
      root.put("problems", registry.problems());
      out.println(ReportWriter.toJson(root));
    } else {
      for (StrategyKind kind : StrategyKind.values()) {
        out.println(kind.label() + (kind.label().endsWith("s") ? "es:" : "s:"));
        for (StrategyRegistry.Entry e : registry.entries(kind)) {
          out.printf("  %s%n", e.provider().name());
          out.printf("      %s%n", e.provider().description());
          for (ParamSpec p : e.provider().parameters()) {
            String type = p.choices().isEmpty() ? p.type().name().toLowerCase(java.util.Locale.ROOT)
                : String.join("|", p.choices());
            String range = dev.shears.api.Params.range(p);
            String dflt = p.defaultValue() == null || p.defaultValue().isEmpty() ? ""
                : " (default " + p.defaultValue() + (range.isEmpty() ? "" : ", " + range) + ")";
            out.printf("      --param %s.%s=<%s>%s: %s%n", kind.label(), p.name(), type, dflt, p.description());
          }
          String version = CommonOptions.version(e);
          out.printf("      from %s%s%n", e.source(), "unknown".equals(version) ? "" : " (version " + version + ")");
        }
      }
    }
    out.flush();
    return ShearsCommand.OK;
  }
}
