package dev.shears.core.report;

import dev.shears.core.evaluation.Fidelity;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A prune report as one self-contained HTML page: inline CSS and an inline SVG chart, no scripts,
 * no fonts or images from anywhere, so it opens offline and in a sandbox. Sections: summary and
 * settings, fidelity (when measured), per-block sparsity chart, per-block table, per-layer table,
 * timings, skipped tensors, environment.
 */
public final class HtmlReport {
  /**
   * Settings as a person reads them, as escaped HTML: nested maps as "key: value" pairs; a long
   * one (more than 8 entries) folded into a details element listing every entry.
   */
  static String readable(Object value) {
    if (value instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        return "defaults";
      }
      StringBuilder sb = new StringBuilder();
      String sep = m.size() > 8 ? "<br>" : "; ";
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (sb.length() > 0) {
          sb.append(sep);
        }
        sb.append(esc(String.valueOf(e.getKey()))).append(": ").append(readable(e.getValue()));
      }
      return m.size() > 8 ? "<details><summary>" + m.size() + " entries</summary>" + sb + "</details>" : sb.toString();
    }
    return esc(String.valueOf(value));
  }

  private static final String[] TOWER_COLOURS = {"#3b6fb6", "#d9822b", "#3f9e57", "#9a4fb0", "#b5483c"};

  private HtmlReport() {}

  /** {@code --strategy auto}'s candidates, when the report has a search. */
  @SuppressWarnings("unchecked")
  private static void search(StringBuilder h, Map<String, Object> s) {
    if (s == null) {
      return;
    }
    h.append("<section><h2>Strategy search</h2>\n<p class=\"note\">").append(esc(String.format(Locale.ROOT,
        "Each candidate pruned with the first %s of %s calibration samples and scored by the %s loss on the last %s "
            + "(dense model: %.6f). Search: %.3f s, %.2f times the winner's own prune (estimated).",
        s.get("fitSamples"), s.get("calibrationSamples"), s.get("loss"), s.get("heldOutSamples"),
        (Double) s.get("denseLoss"), (Double) s.get("seconds"), (Double) s.get("costInWinnerPrunes"))
        + (s.get("costInDefaultPrunes") == null ? "" : String.format(Locale.ROOT,
            " %.2f times one prune with the defaults (estimated).", (Double) s.get("costInDefaultPrunes")))))
        .append("</p>\n<table><thead><tr><th>allocator</th><th>scorer</th><th>mode</th>"
            + "<th class=\"n\">held-out loss</th><th class=\"n\">increase</th><th class=\"n\">seconds</th>"
            + "<th>winner</th></tr></thead><tbody>\n");
    for (Map<String, Object> row : (List<Map<String, Object>>) s.get("candidates")) {
      Object allocator = row.get("allocator");
      h.append("<tr><td>").append(esc(allocator == null ? "- (N:M)" : allocator.toString())).append("</td><td>")
          .append(esc(String.valueOf(row.get("scorer")))).append("</td><td>").append(esc(String.valueOf(row.get("mode"))))
          .append("</td>").append(num("%.6f", (Double) row.get("heldOutLoss")))
          .append(num("%.6f", (Double) row.get("lossIncrease"))).append(num("%.3f", (Double) row.get("seconds")))
          .append("<td>").append(Boolean.TRUE.equals(row.get("winner")) ? "&#10003;" : "").append("</td></tr>\n");
    }
    h.append("</tbody></table></section>\n");
  }

  /** Renders the report. */
  public static String render(PruneReport r) {
    StringBuilder h = new StringBuilder(32_768);
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>Shears prune report: ").append(esc(fileName(r.input()))).append("</title>\n")
        .append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
    h.append("<h1>Shears prune report</h1>\n");
    h.append("<p class=\"sub\">").append(esc(r.tool())).append("</p>\n");

    // Summary.
    h.append("<section><h2>Summary</h2>\n<table class=\"kv\">\n");
    kv(h, "input", absolute(r.input()));
    kv(h, "output", absolute(r.output()));
    PruneReport.Totals t = r.totals();
    kv(h, "pruned", String.format(Locale.ROOT, "%,d of %,d prunable weights (%.2f%%; target %.2f%%)",
        t.pruned(), t.prunableParameters(), 100 * t.sparsity(), 100 * t.targetSparsity()));
    kv(h, "tensors / blocks", r.tensors().size() + " tensors in " + r.blocks().size() + " blocks");
    if (r.settings() != null) {
      for (Map.Entry<String, Object> e : r.settings().entrySet()) {
        h.append("<tr><th>").append(esc(e.getKey())).append("</th><td>").append(readable(e.getValue()))
            .append("</td></tr>\n");
      }
    }
    h.append("</table></section>\n");

    // Fidelity.
    h.append("<section><h2>Fidelity</h2>\n");
    if (r.fidelity() == null || r.fidelity().isEmpty()) {
      h.append("<p class=\"note\">Not measured (run <code>shears prune --verify</code>, or "
          + "<code>shears eval OUT --reference IN</code>).</p>\n");
    } else {
      h.append("<table><thead><tr><th>output</th><th class=\"n\">cosine</th><th class=\"n\">mean row cosine</th>"
          + "<th class=\"n\">max |diff|</th><th class=\"n\">top-1 agreement</th><th class=\"n\">values</th></tr></thead><tbody>\n");
      for (Map.Entry<String, Fidelity.OutputFidelity> e : r.fidelity().entrySet()) {
        Fidelity.OutputFidelity f = e.getValue();
        h.append("<tr><td>").append(esc(e.getKey())).append("</td>")
            .append(num("%.6f", f.cosine())).append(num("%.6f", f.meanRowCosine()))
            .append(num("%.6g", f.maxAbsDiff()))
            .append(f.top1Agreement() == null ? "<td class=\"n\">&ndash;</td>" : num("%.4f", f.top1Agreement()))
            .append("<td class=\"n\">").append(String.format(Locale.ROOT, "%,d", f.values())).append("</td></tr>\n");
      }
      h.append("</tbody></table>\n");
    }
    h.append("</section>\n");

    search(h, r.search());

    // Chart and block table.
    h.append("<section><h2>Sparsity per block</h2>\n").append(chart(r)).append("\n");
    h.append("<table><thead><tr><th>block</th><th>tower</th><th class=\"n\">weights</th>"
        + "<th class=\"n\">allocated</th><th class=\"n\">achieved</th><th class=\"n\">importance</th></tr></thead><tbody>\n");
    for (BlockReport b : r.blocks()) {
      h.append("<tr><td>").append(esc(b.name())).append("</td><td>").append(esc(b.tower())).append("</td>")
          .append("<td class=\"n\">").append(String.format(Locale.ROOT, "%,d", b.parameters())).append("</td>")
          .append(num("%.4f", b.allocatedSparsity())).append(num("%.4f", b.achievedSparsity()))
          .append(b.importance() == null ? "<td class=\"n\">&ndash;</td>" : num("%.4g", b.importance()))
          .append("</tr>\n");
    }
    h.append("</tbody></table></section>\n");

    // Per-layer table.
    boolean scores = r.tensors().stream().anyMatch(x -> x.scores() != null);
    h.append("<section><h2>Per layer</h2>\n<table class=\"layers\"><thead><tr><th>tensor</th><th>nodes</th><th>block</th>"
        + "<th>shape</th><th>dtype</th><th class=\"n\">weights</th><th class=\"n\">target</th>"
        + "<th class=\"n\">pruned</th><th class=\"n\">achieved</th><th class=\"n\">zeros</th>");
    if (scores) {
      h.append("<th class=\"n\">score min</th><th class=\"n\">median</th><th class=\"n\">max</th><th class=\"n\">threshold</th>");
    }
    h.append("</tr></thead><tbody>\n");
    for (TensorReport x : r.tensors()) {
      h.append("<tr><td class=\"name\">").append(esc(x.name())).append("</td><td class=\"name\">")
          .append(String.join("<br>", (x.nodes() == null ? List.<String>of() : x.nodes()).stream()
              .map(HtmlReport::esc).toList()))
          .append("</td><td>").append(esc(x.block()))
          .append("</td><td>").append(esc(Arrays.toString(x.shape()))).append("</td><td>").append(esc(x.dtype()))
          .append("</td><td class=\"n\">").append(String.format(Locale.ROOT, "%,d", x.parameters())).append("</td>")
          .append(num("%.4f", x.targetSparsity()))
          .append("<td class=\"n\">").append(String.format(Locale.ROOT, "%,d", x.pruned())).append("</td>")
          .append(num("%.4f", x.achievedSparsity()))
          .append("<td class=\"n\">").append(String.format(Locale.ROOT, "%,d", x.zeros())).append("</td>");
      if (scores) {
        ScoreSummary s = x.scores();
        if (s == null) {
          h.append("<td class=\"n\" colspan=\"4\">&ndash;</td>");
        } else {
          h.append(num("%.4g", s.min())).append(num("%.4g", s.median())).append(num("%.4g", s.max()))
              .append(num("%.4g", s.threshold()));
        }
      }
      h.append("</tr>\n");
    }
    h.append("</tbody></table></section>\n");

    // Timings: stages, each followed by its parts ("STAGE / PART"), then the total.
    h.append("<section><h2>Timings</h2>\n");
    if (r.timingsSeconds() != null && !r.timingsSeconds().isEmpty()) {
      h.append(timings(r.timingsSeconds()));
    }
    h.append("</section>\n");

    if (r.skipped() != null && !r.skipped().isEmpty()) {
      h.append("<section><h2>Not pruned</h2>\n<table><thead><tr><th>tensor</th><th>node</th><th>reason</th>"
          + "</tr></thead><tbody>\n");
      for (Map<String, String> s : r.skipped()) {
        h.append("<tr><td class=\"name\">").append(esc(s.get("name"))).append("</td><td>")
            .append(esc(s.get("node"))).append("</td><td>").append(esc(s.get("reason"))).append("</td></tr>\n");
      }
      h.append("</tbody></table></section>\n");
    }

    h.append("<section><h2>Environment</h2>\n<table class=\"kv\">\n");
    if (r.environment() != null) {
      for (Map.Entry<String, Object> e : r.environment().entrySet()) {
        kv(h, e.getKey(), String.valueOf(e.getValue()));
      }
    }
    h.append("</table></section>\n</body>\n</html>\n");
    return h.toString();
  }

  /**
   * The timings table. Top-level rows are the stages; a key "STAGE / PART" is a part of STAGE,
   * shown indented under it and not counted again. A first row holds what no stage names (reading,
   * inventory, set-up), so that the top-level rows add up to the total.
   */
  static String timings(Map<String, Double> t) {
    Map<String, Double> stages = new LinkedHashMap<>();
    Map<String, Map<String, Double>> parts = new LinkedHashMap<>();
    Double total = null;
    for (Map.Entry<String, Double> e : t.entrySet()) {
      String k = e.getKey();
      int slash = k.indexOf(" / ");
      if (k.equals("total")) {
        total = e.getValue();
      } else if (slash > 0) {
        String stage = k.substring(0, slash);
        parts.computeIfAbsent(stage, x -> new LinkedHashMap<>()).put(k.substring(slash + 3), e.getValue());
      } else {
        stages.put(k, e.getValue());
      }
    }
    double named = stages.values().stream().mapToDouble(Double::doubleValue).sum();
    StringBuilder h = new StringBuilder("<table class=\"timings\"><thead><tr><th>stage</th>"
        + "<th class=\"n\">seconds</th><th class=\"n\">share</th></tr></thead><tbody>\n");
    double whole = total != null ? total : named;
    if (total != null && total - named > 0.0005) {
      timingRow(h, "read, inventory and set-up", total - named, whole, "stage");
    }
    for (Map.Entry<String, Double> e : stages.entrySet()) {
      timingRow(h, e.getKey(), e.getValue(), whole, "stage");
      for (Map.Entry<String, Double> p : parts.getOrDefault(e.getKey(), Map.of()).entrySet()) {
        timingRow(h, p.getKey(), p.getValue(), whole, "part");
      }
    }
    for (Map.Entry<String, Map<String, Double>> orphan : parts.entrySet()) {
      if (!stages.containsKey(orphan.getKey())) { // parts of a stage without its own figure
        h.append("<tr class=\"stage\"><td>").append(esc(orphan.getKey()))
            .append("</td><td class=\"n\">&ndash;</td><td class=\"n\"></td></tr>\n");
        for (Map.Entry<String, Double> p : orphan.getValue().entrySet()) {
          timingRow(h, p.getKey(), p.getValue(), whole, "part");
        }
      }
    }
    if (total != null) {
      timingRow(h, "total", total, whole, "total");
    }
    return h.append("</tbody></table>\n").toString();
  }

  private static void timingRow(StringBuilder h, String name, double seconds, double whole, String kind) {
    h.append("<tr class=\"").append(kind).append("\"><td>").append(esc(name)).append("</td>")
        .append(num("%.3f", seconds))
        .append(kind.equals("total") || whole <= 0 ? "<td class=\"n\"></td>"
            : num("%.1f%%", 100 * seconds / whole))
        .append("</tr>\n");
  }

  /** A horizontal bar chart: one row per block, achieved sparsity as a bar, allocated as a tick. */
  static String chart(PruneReport r) {
    List<BlockReport> blocks = r.blocks();
    Map<String, String> colours = new LinkedHashMap<>();
    for (BlockReport b : blocks) {
      colours.computeIfAbsent(b.tower(), k -> TOWER_COLOURS[colours.size() % TOWER_COLOURS.length]);
    }
    int label = 300;
    int plot = 520;
    int row = 22;
    int top = 30;
    int height = top + row * blocks.size() + 40;
    int width = label + plot + 80;
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" "
        + "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"sparsity per block\">\n",
        width, height, width, height));
    // Grid and axis labels at 0, 25, 50, 75, 100 %.
    for (int p = 0; p <= 100; p += 25) {
      double x = label + plot * p / 100.0;
      s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>"
          + "<text x=\"%.1f\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">%d%%</text>\n",
          x, top - 4, x, top + row * blocks.size(), x, top - 10, p));
    }
    double target = r.totals().targetSparsity();
    double tx = label + plot * target;
    s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"target\"/>\n",
        tx, top - 4, tx, top + row * blocks.size()));
    for (int i = 0; i < blocks.size(); i++) {
      BlockReport b = blocks.get(i);
      int y = top + row * i;
      double w = plot * clamp(b.achievedSparsity());
      double ax = label + plot * clamp(b.allocatedSparsity());
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"label\" text-anchor=\"end\">%s</text>",
          label - 8, y + 15, esc(shorten(b.name(), 44))));
      s.append(String.format(Locale.ROOT, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
          + "<title>%s: achieved %.4f, allocated %.4f</title></rect>",
          label, y + 4, w, row - 8, colours.get(b.tower()), esc(b.name()), b.achievedSparsity(), b.allocatedSparsity()));
      s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"alloc\"/>",
          ax, y + 1, ax, y + row - 1));
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" class=\"value\">%.1f%%</text>\n",
          label + w + 6, y + 15, 100 * b.achievedSparsity()));
    }
    // Legend.
    int ly = top + row * blocks.size() + 24;
    int lx = label;
    List<String> towers = new ArrayList<>(colours.keySet());
    for (String tower : towers) {
      s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
          + "<text x=\"%d\" y=\"%d\" class=\"axis\">%s</text>", lx, ly - 10, colours.get(tower), lx + 16, ly,
          esc(tower.isEmpty() ? "(no tower)" : tower)));
      lx += 24 + 8 * Math.max(8, tower.length());
    }
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"alloc\"/>"
        + "<text x=\"%d\" y=\"%d\" class=\"axis\">allocated</text>", lx, ly - 11, lx, ly + 1, lx + 6, ly));
    lx += 90;
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"target\"/>"
        + "<text x=\"%d\" y=\"%d\" class=\"axis\">target %.0f%%</text>", lx, ly - 11, lx, ly + 1, lx + 6, ly,
        100 * target));
    s.append("</svg>");
    return s.toString();
  }

  /** A path as an absolute, normalized one, so that every path on the page reads the same way. */
  static String absolute(String path) {
    if (path == null) {
      return null;
    }
    try {
      return java.nio.file.Path.of(path).toAbsolutePath().normalize().toString();
    } catch (RuntimeException e) {
      return path;
    }
  }

  private static double clamp(double v) {
    return Double.isNaN(v) ? 0 : Math.max(0, Math.min(1, v));
  }

  private static String shorten(String s, int max) {
    return s.length() <= max ? s : "\u2026" + s.substring(s.length() - max + 1);
  }

  private static void kv(StringBuilder h, String k, String v) {
    h.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>\n");
  }

  private static String num(String fmt, double v) {
    return "<td class=\"n\">" + (Double.isNaN(v) ? "&ndash;" : String.format(Locale.ROOT, fmt, v)) + "</td>";
  }

  private static String fileName(String path) {
    if (path == null) {
      return "";
    }
    int i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
    return path.substring(i + 1);
  }

  /** HTML-escapes text for element content and attribute values. */
  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  private static final String CSS = """
      body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;margin:24px auto;max-width:1150px;padding:0 16px}
      h1{font-size:24px;margin:0}
      h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dce4;padding-bottom:4px}
      .sub{color:#667;margin:2px 0 0}
      table{border-collapse:collapse;width:100%;font-size:13px}
      th,td{padding:3px 8px;border-bottom:1px solid #eceef2;text-align:left;vertical-align:top}
      thead th{background:#f3f5f8;position:sticky;top:0}
      table.kv th{width:190px;color:#556;font-weight:600}
      td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
      td.name{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
      tbody tr:nth-child(even){background:#fafbfc}
      .note{color:#667}
      code{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f3f5f8;padding:1px 4px;border-radius:3px}
      table.timings{width:auto;min-width:420px}
      table.timings tr.part td:first-child{padding-left:28px;color:#556}
      table.timings tr.part td{font-size:12px;color:#556}
      table.timings tr.total td{font-weight:600;border-top:2px solid #c8cdd6}
      details summary{cursor:pointer;color:#3b6fb6}
      svg.chart{display:block;max-width:100%;height:auto;margin:8px 0 12px}
      svg .grid{stroke:#e3e6ec;stroke-width:1}
      svg .target{stroke:#c0392b;stroke-width:1.5;stroke-dasharray:4 3}
      svg .alloc{stroke:#1d2330;stroke-width:2}
      svg .label{font-size:12px;fill:#1d2330}
      svg .axis{font-size:11px;fill:#667}
      svg .value{font-size:11px;fill:#334}
      """;
}
