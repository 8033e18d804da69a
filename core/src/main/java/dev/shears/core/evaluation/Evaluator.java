package dev.shears.core.evaluation;

import dev.shears.core.ShearsException;
import dev.shears.core.calibration.HostTensor;
import dev.shears.core.calibration.source.ModelInputEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures a model on a labelled {@link EvalDataset}, and optionally against a reference model on
 * the same inputs. Image-text scores come from the {@code image_embeds} and {@code text_embeds}
 * outputs (cosine similarity) when the model has both, else from {@code logits_per_image}.
 * Batches stream through the model; only embeddings (or score rows) are kept.
 */
public final class Evaluator {
  static final String IMAGE_EMBEDS = "image_embeds";
  static final String TEXT_EMBEDS = "text_embeds";
  static final String LOGITS_PER_IMAGE = "logits_per_image";

  private final int batchSize;

  public Evaluator(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size " + batchSize);
    }
    this.batchSize = batchSize;
  }

  /** The image-text scores of one model: zero-shot [image][class] and retrieval [image][caption]. */
  private record Scores(float[][] zeroShot, float[][] retrieval) {}

  /**
   * Evaluates {@code model}.
   *
   * @param reference the reference model, or {@code null}
   * @param encoder turns the dataset's images and texts into the model's inputs
   */
  public EvalResult evaluate(ModelRunner model, ModelRunner reference, ModelInputEncoder encoder,
      EvalDataset data) {
    long start = System.nanoTime();
    if (reference != null && !reference.inputs().stream().map(s -> s.name()).toList()
        .equals(model.inputs().stream().map(s -> s.name()).toList())) {
      throw new ShearsException(reference.file() + ": the reference model's inputs "
          + reference.inputs().stream().map(s -> s.name()).toList() + " differ from "
          + model.file() + "'s " + model.inputs().stream().map(s -> s.name()).toList());
    }
    List<EvalDataset.Item> items = data.items();
    List<Path> images = items.stream().map(EvalDataset.Item::image).toList();
    List<String> captions = items.stream().map(EvalDataset.Item::caption).toList();
    boolean pairs = encoder.imageInput() != null && encoder.hasText();
    Fidelity fidelity = reference == null ? null : new Fidelity();
    String itmOutput = model.outputNames().stream().filter(n -> n.toLowerCase().contains("itm"))
        .findFirst().orElse(null);
    long itmRight = 0;
    long itmTotal = 0;

    // Pass 1: every image with its own caption; fidelity, embeddings and ITM.
    List<float[]> imageEmb = new ArrayList<>();
    List<float[]> textEmb = new ArrayList<>();
    List<float[]> refImageEmb = new ArrayList<>();
    List<float[]> refTextEmb = new ArrayList<>();
    for (int from = 0; from < items.size(); from += batchSize) {
      int to = Math.min(items.size(), from + batchSize);
      Map<String, HostTensor> feed = feed(encoder, images.subList(from, to), captions.subList(from, to));
      Map<String, ModelRunner.Output> out = model.run(feed);
      collect(out, IMAGE_EMBEDS, imageEmb);
      collect(out, TEXT_EMBEDS, textEmb);
      if (reference != null) {
        Map<String, ModelRunner.Output> ref = reference.run(feed);
        collect(ref, IMAGE_EMBEDS, refImageEmb);
        collect(ref, TEXT_EMBEDS, refTextEmb);
        for (Map.Entry<String, ModelRunner.Output> e : out.entrySet()) {
          ModelRunner.Output r = ref.get(e.getKey());
          if (r != null && r.values().length == e.getValue().values().length) {
            fidelity.add(e.getKey(), e.getValue(), r);
          }
        }
      }
      if (itmOutput != null && pairs && out.containsKey(itmOutput)) {
        itmRight += itmCorrect(out.get(itmOutput), true);
        // the dataset's own hard negative where it has one, else another caption of the set
        List<String> wrong = new ArrayList<>();
        for (int i = from; i < to; i++) {
          String negative = items.get(i).negativeText();
          wrong.add(negative != null ? negative : mismatch(captions, i));
        }
        Map<String, ModelRunner.Output> neg = model.run(feed(encoder, images.subList(from, to), wrong));
        itmRight += itmCorrect(neg.get(itmOutput), false);
        itmTotal += 2L * (to - from);
      }
    }

    EvalResult.ZeroShot zeroShot = null;
    EvalResult.Retrieval retrieval = null;
    Double agreement = null;
    if (pairs) {
      Scores scores = scores(model, encoder, data, images, captions, imageEmb, textEmb);
      if (scores != null) {
        zeroShot = data.classes().isEmpty() ? null : zeroShot(data, scores.zeroShot());
        retrieval = new EvalResult.Retrieval(
            RetrievalMetrics.imageToText(scores.retrieval(), captions, 1),
            RetrievalMetrics.imageToText(scores.retrieval(), captions, 5),
            RetrievalMetrics.textToImage(scores.retrieval(), captions, 1),
            RetrievalMetrics.textToImage(scores.retrieval(), captions, 5));
        if (reference != null) {
          Scores ref = scores(reference, encoder, data, images, captions, refImageEmb, refTextEmb);
          if (ref != null && !data.classes().isEmpty()) {
            int same = 0;
            for (int i = 0; i < items.size(); i++) {
              if (RetrievalMetrics.argmax(scores.zeroShot()[i]) == RetrievalMetrics.argmax(ref.zeroShot()[i])) {
                same++;
              }
            }
            agreement = (double) same / items.size();
          }
        }
      }
    }
    return new EvalResult(model.file().toString(), reference == null ? null : reference.file().toString(),
        data.folder().toString(), items.size(), data.classes().size(), zeroShot, retrieval,
        itmTotal == 0 ? null : (double) itmRight / itmTotal,
        fidelity == null ? null : fidelity.result(), agreement, (System.nanoTime() - start) / 1e9);
  }

  /** Image-text scores from the embeddings, else from logits_per_image; null when neither exists. */
  private Scores scores(ModelRunner model, ModelInputEncoder encoder, EvalDataset data, List<Path> images,
      List<String> captions, List<float[]> imageEmb, List<float[]> textEmb) {
    int n = images.size();
    if (imageEmb.size() == n && textEmb.size() == n) {
      // Prompt embeddings: prompts in batches, each paired with some eval image (the model takes both).
      List<float[]> promptEmb = new ArrayList<>();
      List<String> classes = data.classes();
      for (int from = 0; from < classes.size(); from += batchSize) {
        int to = Math.min(classes.size(), from + batchSize);
        List<Path> imgs = new ArrayList<>();
        for (int i = from; i < to; i++) {
          imgs.add(images.get(i % n));
        }
        collect(model.run(feed(encoder, imgs, classes.subList(from, to))), TEXT_EMBEDS, promptEmb);
      }
      float[][] img = imageEmb.toArray(float[][]::new);
      return new Scores(classes.isEmpty() ? null : RetrievalMetrics.cosine(img, promptEmb.toArray(float[][]::new)),
          RetrievalMetrics.cosine(img, textEmb.toArray(float[][]::new)));
    }
    if (model.outputNames().contains(LOGITS_PER_IMAGE)) {
      return new Scores(data.classes().isEmpty() ? null : logits(model, encoder, images, data.classes()),
          logits(model, encoder, images, captions));
    }
    return null;
  }

  /** {@code logits_per_image} of every image against every text, one image batch at a time. */
  private float[][] logits(ModelRunner model, ModelInputEncoder encoder, List<Path> images, List<String> texts) {
    float[][] out = new float[images.size()][texts.size()];
    int textChunk = Math.max(batchSize, 256);
    for (int from = 0; from < images.size(); from += batchSize) {
      int to = Math.min(images.size(), from + batchSize);
      for (int t0 = 0; t0 < texts.size(); t0 += textChunk) {
        int t1 = Math.min(texts.size(), t0 + textChunk);
        ModelRunner.Output o = model.run(feed(encoder, images.subList(from, to), texts.subList(t0, t1)))
            .get(LOGITS_PER_IMAGE);
        int cols = t1 - t0;
        for (int i = from; i < to; i++) {
          System.arraycopy(o.values(), (i - from) * cols, out[i], t0, cols);
        }
      }
    }
    return out;
  }

  private static EvalResult.ZeroShot zeroShot(EvalDataset data, float[][] scores) {
    List<EvalDataset.Item> items = data.items();
    List<String> attrs = data.attributeNames();
    int right = 0;
    int[] attrRight = new int[attrs.size()];
    for (int i = 0; i < items.size(); i++) {
      int predicted = RetrievalMetrics.argmax(scores[i]);
      int truth = items.get(i).classIndex();
      if (predicted == truth) {
        right++;
      }
      for (int a = 0; a < attrs.size(); a++) {
        String v = data.classAttributes().get(predicted).get(attrs.get(a));
        if (v != null && v.equals(data.classAttributes().get(truth).get(attrs.get(a)))) {
          attrRight[a]++;
        }
      }
    }
    Map<String, Double> perAttr = new LinkedHashMap<>();
    for (int a = 0; a < attrs.size(); a++) {
      perAttr.put(attrs.get(a), (double) attrRight[a] / items.size());
    }
    return new EvalResult.ZeroShot((double) right / items.size(), perAttr);
  }

  private static Map<String, HostTensor> feed(ModelInputEncoder encoder, List<Path> images, List<String> texts) {
    Map<String, HostTensor> feed = new LinkedHashMap<>();
    if (encoder.imageInput() != null) {
      feed.put(encoder.imageInput(), encoder.images(images));
    }
    if (encoder.hasText()) {
      feed.putAll(encoder.texts(texts));
    }
    return feed;
  }

  private static void collect(Map<String, ModelRunner.Output> out, String name, List<float[]> rows) {
    ModelRunner.Output o = out.get(name);
    if (o == null || o.shape().length != 2) {
      return;
    }
    int cols = o.columns();
    for (int r = 0; r < o.rows(); r++) {
      float[] row = new float[cols];
      System.arraycopy(o.values(), r * cols, row, 0, cols);
      rows.add(row);
    }
  }

  /** The caption of the nearest later item whose caption differs from item i's. */
  private static String mismatch(List<String> captions, int i) {
    int n = captions.size();
    for (int d = 1; d < n; d++) {
      String c = captions.get((i + n / 2 + d) % n);
      if (!c.equals(captions.get(i))) {
        return c;
      }
    }
    return captions.get(i);
  }

  /**
   * Correct ITM decisions in a batch: an output of two columns is [no match, match] scores, one
   * column (or a vector) a match logit.
   */
  private static int itmCorrect(ModelRunner.Output o, boolean matched) {
    int rows = o.rows();
    int cols = o.columns();
    int right = 0;
    for (int r = 0; r < rows; r++) {
      boolean says = cols >= 2 ? o.values()[r * cols + 1] > o.values()[r * cols] : o.values()[r * cols] > 0;
      if (says == matched) {
        right++;
      }
    }
    return right;
  }
}
