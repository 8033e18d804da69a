package dev.shears.core.progress;

/** Reports progress of long work to the user; results never go here. */
public interface Progress {
  /** A progress reporter that shows nothing (tests, --quiet). */
  Progress NONE = (task, total) -> Task.NONE;

  /** Starts a task of {@code total} steps. */
  Task start(String task, long total);

  /** Prints a one-line note (stderr for the console). */
  default void note(String line) {}

  /** One running task. */
  interface Task extends AutoCloseable {
    Task NONE = new Task() {
      @Override
      public void step(long n) {}

      @Override
      public void close() {}
    };

    void step(long n);

    default void step() {
      step(1);
    }

    @Override
    void close();
  }
}
