#!/usr/bin/env bash
# Prunes the bundled tinyclip-shapes model with several strategies and prints zero-shot
# accuracy on its held-out eval set, one line per run:  NAME  zero-shot  i2t-R@1  t2i-R@1
#
#   scripts/accuracy-sweep.sh scorers      # magnitude / wanda / sparsegpt, 50-70% and 2:4, one-shot and sequential
#   scripts/accuracy-sweep.sh allocators   # uniform / owl / ecoflap (seeds 1-3) + wanda, 50-80% (MODE=one-shot|sequential)
#   scripts/accuracy-sweep.sh sensitivity  # uniform / ecoflap / sensitivity (seeds 1-3) with sparsegpt one-shot and
#                                          # wanda sequential at $SPARSITIES (default 0.7 0.8); adds the prune's total seconds
#
# Uses the runnable jar (built by ./shears on first use); outputs go to $OUT (default /tmp/shears-sweep).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$root/testdata/src/main/resources/dev/shears/testdata/tinyclip-shapes"
out="${OUT:-/tmp/shears-sweep}"
mkdir -p "$out"
"$root/shears" --version >/dev/null
jar="$out/shears.jar"
cp "$root/cli/target/shears.jar" "$jar"   # a private copy: rebuilds during the sweep do not disturb it

run() {
  local name=$1; shift
  java -jar "$jar" prune "$data/model.onnx" -o "$out/$name.onnx" --calib "$data/calib" --quiet \
      --report "$out/$name.json" "$@" >/dev/null
  java -jar "$jar" eval "$out/$name.onnx" --data "$data/eval" --model-dir "$data" --json 2>/dev/null \
    | python3 -c "import json,sys; d=json.load(sys.stdin); r=d['retrieval']; print(f\"$name {d['zeroShot']['accuracy']:.3f} {r['i2tR1']:.3f} {r['t2iR1']:.3f}\")"
}

# as run, with the prune's total seconds from its report (timingsSeconds.total) as a last column
timed() {
  local line
  line=$(run "$@")
  echo "$line $(python3 -c "import json; print(f\"{json.load(open('$out/$1.json'))['timingsSeconds']['total']:.1f}\")")"
}

case "${1:-allocators}" in
  scorers)
    for mode in one-shot sequential; do
      for s in 0.5 0.6 0.7; do
        for scorer in magnitude wanda sparsegpt; do
          run "$scorer-$mode-$s" --scorer "$scorer" --allocator uniform --sparsity "$s" --mode "$mode"
        done
      done
      for scorer in magnitude wanda sparsegpt; do
        run "$scorer-$mode-2of4" --scorer "$scorer" --allocator uniform --pattern 2:4 --mode "$mode"
      done
    done ;;
  allocators)
    mode="${MODE:-one-shot}"
    for s in 0.5 0.6 0.7 0.8; do
      run "uniform-wanda-$mode-$s" --scorer wanda --allocator uniform --sparsity "$s" --mode "$mode"
      run "owl-wanda-$mode-$s" --scorer wanda --allocator owl --sparsity "$s" --mode "$mode"
      for seed in 1 2 3; do
        run "ecoflap-wanda-$mode-$s-seed$seed" --scorer wanda --allocator ecoflap --sparsity "$s" --mode "$mode" \
            --seed "$seed" ${ECOFLAP_PARAMS:-}
      done
    done ;;
  sensitivity)
    for s in ${SPARSITIES:-0.7 0.8}; do
      for scorer in "sparsegpt one-shot" "wanda sequential"; do
        set -- $scorer
        timed "uniform-$1-$2-$s" --scorer "$1" --mode "$2" --allocator uniform --sparsity "$s" --seed 1
        for seed in 1 2 3; do
          for allocator in ecoflap sensitivity; do
            timed "$allocator-$1-$2-$s-seed$seed" --scorer "$1" --mode "$2" --allocator "$allocator" \
                --sparsity "$s" --seed "$seed"
          done
        done
      done
    done ;;
  *) echo "usage: $0 scorers|allocators|sensitivity" >&2; exit 2 ;;
esac
