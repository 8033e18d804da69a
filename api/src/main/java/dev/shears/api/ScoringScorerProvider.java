package dev.shears.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A scorer in one class: for strategies that give every weight a score and prune the lowest.
 *
 * <p>Extend it, pass the name, description, API version and evidence to the constructor, and
 * implement {@link #scores}; list the class in {@code
 * META-INF/services/dev.shears.api.ScorerProvider}. The class is both the provider Shears
 * finds and the factory of the scorer it runs: {@link #create} reads the shared {@code group}
 * parameter ({@link MaskSelection.Group#PARAM}, added to your own parameters) and prunes the
 * lowest scores with {@link MaskSelection}, so counts, N:M patterns and ties behave as for the
 * built-in scorers. Scorers that rewrite the weights they keep (like SparseGPT) implement
 * {@link ScorerProvider} and {@link Scorer} themselves.
 *
 * <pre>{@code
 * public final class AbsoluteValue extends ScoringScorerProvider {
 *   public AbsoluteValue() {
 *     super("absolute-value", "prunes the smallest |w|", ShearsApi.VERSION, Set.of());
 *   }
 *
 *   @Override
 *   protected float[] scores(Layer layer, Params params) {
 *     float[] s = new float[layer.rows() * layer.columns()];
 *     for (int i = 0; i < s.length; i++) {
 *       s[i] = Math.abs(layer.weights().get(i));
 *     }
 *     return s;
 *   }
 * }
 * }</pre>
 */
public abstract class ScoringScorerProvider implements ScorerProvider {
  private final String name;
  private final String description;
  private final int apiVersion;
  private final Set<Evidence> evidence;
  private final List<ParamSpec> parameters;

  /**
   * Declares the scorer.
   *
   * @param name the name users select it by ({@code [a-z][a-z0-9-]*})
   * @param description one line for {@code shears plugins}
   * @param apiVersion pass {@link ShearsApi#VERSION}: the constant is then compiled into your
   *     class, which is what lets Shears refuse a plugin built against another API
   * @param evidence the calibration evidence {@link #scores} reads from its layer
   * @param parameters your own parameters; {@code group} is added
   */
  protected ScoringScorerProvider(String name, String description, int apiVersion, Set<Evidence> evidence,
      ParamSpec... parameters) {
    this.name = name;
    this.description = description;
    this.apiVersion = apiVersion;
    this.evidence = Set.copyOf(evidence);
    List<ParamSpec> all = new ArrayList<>(List.of(parameters));
    all.add(MaskSelection.Group.PARAM);
    this.parameters = List.copyOf(all);
  }

  /**
   * One score per weight, row-major {@code rows × columns}; the lowest are pruned. Called
   * from several threads at once, each with its own layer.
   *
   * @param layer the layer, with the declared evidence
   * @param params the user's parameters (typed getters; {@code group} is handled for you)
   * @return the scores, higher kept
   */
  protected abstract float[] scores(Layer layer, Params params);

  /**
   * Checks the parameters once per run, before any layer: throw an {@link
   * IllegalArgumentException} for a value that parses but is unusable, and Shears reports its
   * message as a one-line usage error. Does nothing by default.
   *
   * @param params the user's parameters
   */
  protected void check(Params params) {}

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final String description() {
    return description;
  }

  @Override
  public final List<ParamSpec> parameters() {
    return parameters;
  }

  @Override
  public final int apiVersion() {
    return apiVersion;
  }

  @Override
  public final Scorer create(Params params) {
    check(params);
    MaskSelection.Group group = MaskSelection.Group.from(params);
    return new Scorer() {
      @Override
      public Set<Evidence> evidence() {
        return evidence;
      }

      @Override
      public MaskSelection.Group group() {
        return group;
      }

      @Override
      public PruneResult prune(Layer layer, LayerTarget target) {
        float[] s = scores(layer, params);
        return PruneResult.maskOnly(MaskSelection.select(s, layer.rows(), layer.columns(), target, group));
      }
    };
  }
}
