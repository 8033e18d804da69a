#!/usr/bin/env bash
# What --strategy auto costs: times one `prune --strategy auto`, one prune with the defaults (no
# strategy flags, all the calibration samples) and the same six candidates (uniform|ecoflap|
# sensitivity x wanda|sparsegpt, one-shot) run one by one from the command line, each a fresh JVM,
# on the samples the search prunes with (read from its table: --calib-samples N). The one-by-one
# runs do not score anything on held-out data, so their sum is a lower bound on what choosing by
# hand would cost.
#
#   scripts/auto-cost.sh [MODEL_DIR] [SPARSITY]     # default: bundled tinyclip-shapes, 0.7
#
# Needs cli/target/shears.jar (mvn -o -q -pl cli -am package -DskipTests). Extra arguments for
# every prune (like --device cpu) come from SHEARS_ARGS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$root/testdata/src/main/resources/dev/shears/testdata/tinyclip-shapes}"
sparsity="${2:-0.7}"
jar="$root/cli/target/shears.jar"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
run() { java -jar "$jar" prune "$dir/model.onnx" --sparsity "$sparsity" --calib "$dir/calib" ${SHEARS_ARGS:-} "$@"; }

t0=$(now)
run -o "$work/auto.onnx" --strategy auto 2>"$work/auto.err" | tee "$work/auto.out"
t1=$(now)
auto=$(echo "$t1 - $t0" | bc -l)
fit=$(sed -n 's/.*pruned with the first \([0-9]*\) of.*/\1/p' "$work/auto.out" | head -n 1)

s=$(now)
run -o "$work/defaults.onnx" --quiet >/dev/null
e=$(now)
defaults=$(echo "$e - $s" | bc -l)
printf 'defaults (all samples)      %7.2f s\n' "$defaults"

sum=0
for allocator in uniform ecoflap sensitivity; do
  for scorer in wanda sparsegpt; do
    s=$(now)
    run -o "$work/$allocator-$scorer.onnx" --allocator "$allocator" --scorer "$scorer" --mode one-shot \
        --calib-samples "$fit" --quiet >/dev/null
    e=$(now)
    t=$(echo "$e - $s" | bc -l)
    printf '%-10s %-10s one-shot  %7.2f s\n' "$allocator" "$scorer" "$t"
    sum=$(echo "$sum + $t" | bc -l)
  done
done
printf 'one by one (6 JVMs, %s samples, no held-out scoring): %7.2f s\n' "$fit" "$sum"
printf 'strategy auto (1 JVM, with held-out scoring): %7.2f s  (%.2f of the one-by-one sum, %.2f x the defaults)\n' \
    "$auto" "$(echo "$auto / $sum" | bc -l)" "$(echo "$auto / $defaults" | bc -l)"
