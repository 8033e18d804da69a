package dev.shears.cli;

import dev.shears.api.InvalidConfigurationException;
import dev.shears.core.ShearsException;
import dev.shears.core.Version;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code shears} command: exit 0 on success, 1 on failure, 2 on a usage error. */
@Command(
    name = "shears",
    mixinStandardHelpOptions = true,
    versionProvider = ShearsCommand.VersionProvider.class,
    description = "Prunes ONNX models: coarse per-block sparsity, then fine per-weight selection.",
    subcommands = {
      InspectCommand.class,
      PruneCommand.class,
      EvalCommand.class,
      DensifyCommand.class,
      PluginsCommand.class,
      DemoCommand.class,
      CommandLine.HelpCommand.class
    })
public final class ShearsCommand implements Runnable {
  public static final int OK = 0;
  public static final int FAILURE = 1;
  public static final int USAGE = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (inspect, prune, eval, densify, plugins, demo)");
  }

  /** Whether the command runs on the process's own stdout and stderr (main), not captured streams. */
  static volatile boolean processStreams;

  public static void main(String[] args) {
    processStreams = true;
    Interrupts.install(System.err);
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given streams; returns the exit code. */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new ShearsCommand());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler((ex, a) -> {
      err.println("shears: error: " + usageMessage(ex));
      CommandLine c = ex.getCommandLine();
      err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help'.");
      return USAGE;
    });
    cl.setExecutionExceptionHandler((ex, c, parsed) -> {
      boolean verbose = false;
      for (CommandLine.ParseResult pr = parsed; pr != null; pr = pr.subcommand()) {
        verbose |= pr.hasMatchedOption("--verbose");
      }
      if (verbose) {
        ex.printStackTrace(err);
      }
      if (ex instanceof InvalidConfigurationException) {
        err.println("shears: error: " + oneLine(ex.getMessage()));
        return USAGE;
      }
      if (ex instanceof ShearsException) {
        err.println("shears: error: " + oneLine(ex.getMessage()));
        return FAILURE;
      }
      err.println("shears: internal error: " + oneLine(String.valueOf(ex))
          + (verbose ? "" : " (run with --verbose for details)"));
      return FAILURE;
    });
    return cl.execute(args);
  }

  /**
   * picocli's message on one line, without its own "Error: " prefix, with "did you mean" for a
   * misspelled option or command.
   */
  static String usageMessage(CommandLine.ParameterException ex) {
    String msg = oneLine(ex.getMessage()).strip();
    if (msg.startsWith("Error: ")) {
      msg = msg.substring("Error: ".length());
    }
    if (ex instanceof CommandLine.UnmatchedArgumentException u) {
      List<String> suggestions = u.getSuggestions();
      if (!suggestions.isEmpty()) {
        msg += "; did you mean " + String.join(" or ", suggestions.subList(0, Math.min(3, suggestions.size()))) + "?";
      }
    }
    return msg;
  }

  static String oneLine(String s) {
    return s == null ? "" : s.replace('\n', ' ').replace('\r', ' ');
  }

  /** The version, from the jar manifest. */
  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"shears " + Version.get()};
    }
  }
}
