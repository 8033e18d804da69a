package dev.shears.cli;

import dev.shears.core.onnx.AtomicOutput;
import dev.shears.core.progress.Terminal;
import java.io.PrintStream;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C (SIGINT) and SIGTERM: one line on stderr, the output's temporary files deleted, and the
 * process ends by the signal itself (exit status 128 + signal: 130 for Ctrl-C).
 *
 * <p>The JVM's own handling would run shutdown hooks and then exit, which runs the native
 * libraries' exit-time destructors while another thread may still be inside ONNX Runtime (creating
 * a session or running one): that crashed the JVM now and then. Ending by the signal with its
 * default action stops every thread at once and runs no native teardown, so it cannot crash; the
 * model being replaced is left as it was, since it is only ever replaced by an atomic move.
 */
final class Interrupts {
  private Interrupts() {}

  /** Installs the handlers, where the signals are not ignored (nohup) or reserved. */
  static void install(PrintStream err) {
    for (String name : new String[] {"INT", "TERM"}) {
      try {
        Signal.handle(new Signal(name), s -> stop(s, err));
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // left to the JVM
      }
    }
  }

  private static void stop(Signal s, PrintStream err) {
    err.print((Terminal.stderrIsTerminal() ? System.lineSeparator() : "") + "shears: "
        + ("INT".equals(s.getName()) ? "interrupted" : "terminated") + System.lineSeparator());
    err.flush();
    AtomicOutput.discardLive();
    try {
      Signal.handle(s, SignalHandler.SIG_DFL);
      Signal.raise(s);
      Thread.sleep(2000); // the signal ends the process; this is not reached
    } catch (IllegalArgumentException | InterruptedException e) {
      // fall through
    }
    Runtime.getRuntime().halt(128 + s.getNumber());
  }
}
