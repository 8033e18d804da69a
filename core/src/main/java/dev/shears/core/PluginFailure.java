package dev.shears.core;

import dev.shears.api.StrategyKind;
import dev.shears.core.ShearsException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Plugin code failed, or returned something the pipeline refuses: reported on one line that
 * names the strategy's kind and name, the jar or folder it came from, and where it failed,
 * for example {@code scorer 'boom' (from /p/boom.jar) failed on tensor W (node /q/MatMul):
 * RuntimeException: boom}. The plugin's own exception, when there is one, is the cause (shown
 * with {@code --verbose}); it is wrapped exactly once, so identical runs print identical
 * messages.
 */
public final class PluginFailure extends ShearsException {
  private static final long serialVersionUID = 1L;

  private final transient Strategy who;

  private PluginFailure(Strategy who, String message, Throwable cause) {
    super(message, cause);
    this.who = who;
  }

  /**
   * The strategy that failed.
   *
   * @return its kind, name and source
   */
  public Strategy strategy() {
    return who;
  }

  /**
   * Who a strategy is, for messages.
   *
   * @param kind scorer, allocator or loss
   * @param name the name it was selected by
   * @param source the jar or folder it was loaded from
   */
  public record Strategy(StrategyKind kind, String name, String source) {
    @Override
    public String toString() {
      return kind.label() + " '" + name + "' (from " + source + ")";
    }
  }

  /**
   * The strategy threw.
   *
   * @param who the strategy
   * @param where what it was doing, for example {@code "on tensor W (node N)"} or
   *     {@code "in create"}
   * @param thrown what it threw, unwrapped with {@link #unwrap(Throwable)}
   * @return the failure
   */
  public static PluginFailure threw(Strategy who, String where, Throwable thrown) {
    Throwable cause = unwrap(thrown);
    return new PluginFailure(who, who + " failed " + where + ": " + describe(cause), cause);
  }

  /**
   * The strategy returned something that breaks its contract.
   *
   * @param who the strategy
   * @param what what is wrong, for example {@code "pruned 3 weights of tensor W; ..."}
   * @return the failure
   */
  public static PluginFailure refused(Strategy who, String what) {
    return new PluginFailure(who, who + " " + what, null);
  }

  /**
   * The same failure, said to have happened at {@code where} instead (for a failure raised
   * where the place was not known). Keeps the plugin's exception as the only cause.
   *
   * @param where the place, for example {@code "on block B (tensor W)"}
   * @return a failure with the new place; this one when it has no cause (a refusal)
   */
  public PluginFailure at(String where) {
    return getCause() == null ? this : threw(who, where, getCause());
  }

  /**
   * The exception the plugin threw, without the wrappers that concurrency adds: a
   * {@link CompletionException}/{@link ExecutionException} and the like, and the copy of the
   * same type that {@link java.util.concurrent.ForkJoinTask} makes when it rethrows an
   * exception in another thread (message {@code cause.toString()} or none).
   *
   * @param e what was caught
   * @return the innermost exception that the plugin threw
   */
  public static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      Throwable c = t.getCause();
      boolean wrapper = t instanceof CompletionException || t instanceof ExecutionException
          || t instanceof UndeclaredThrowableException || t instanceof InvocationTargetException;
      boolean forkJoinCopy = t.getClass() == c.getClass()
          && (t.getMessage() == null || t.getMessage().equals(c.toString()));
      if (!wrapper && !forkJoinCopy) {
        break;
      }
      t = c;
    }
    return t;
  }

  /** {@code Type: message}, or the type alone when there is no message; on one line. */
  static String describe(Throwable t) {
    String type = t.getClass().getSimpleName().isEmpty() ? t.getClass().getName() : t.getClass().getSimpleName();
    String m = t.getMessage();
    String text = m == null || m.isBlank() ? type : type + ": " + m;
    return text.replace('\r', ' ').replace('\n', ' ');
  }
}
