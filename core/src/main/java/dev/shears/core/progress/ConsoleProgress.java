package dev.shears.core.progress;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress bars on stderr, so that stdout carries only results. */
public final class ConsoleProgress implements Progress {
  private final PrintStream err;

  public ConsoleProgress(PrintStream err) {
    this.err = err;
  }

  @Override
  public Task start(String task, long total) {
    ProgressBar bar = new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(total)
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(200)
        .setConsumer(new ConsoleProgressBarConsumer(err))
        .continuousUpdate()
        .build();
    return new Task() {
      @Override
      public void step(long n) {
        bar.stepBy(n);
      }

      @Override
      public void close() {
        bar.close();
      }
    };
  }

  @Override
  public void note(String line) {
    err.println(line);
  }
}
