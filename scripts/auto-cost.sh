#!/usr/bin/env bash
# What --strategy auto costs (issue 12, item 3): times one `prune --strategy auto` and the same
# four candidates (uniform|ecoflap x wanda|sparsegpt, one-shot) run one by one from the command
# line, each a fresh JVM, on the samples the search prunes with (the first 96 of the default 128:
# --calib-samples 96). The one-by-one runs do not score anything on held-out data, so their sum is
# a lower bound on what choosing by hand would cost.
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
run -o "$work/auto.onnx" --strategy auto 2>"$work/auto.err"
t1=$(now)
auto=$(echo "$t1 - $t0" | bc -l)

sum=0
for allocator in uniform ecoflap; do
  for scorer in wanda sparsegpt; do
    s=$(now)
    run -o "$work/$allocator-$scorer.onnx" --allocator "$allocator" --scorer "$scorer" --mode one-shot \
        --calib-samples 96 --quiet >/dev/null
    e=$(now)
    t=$(echo "$e - $s" | bc -l)
    printf '%-10s %-10s one-shot  %7.2f s\n' "$allocator" "$scorer" "$t"
    sum=$(echo "$sum + $t" | bc -l)
  done
done
printf 'one by one (4 JVMs, no held-out scoring): %7.2f s\n' "$sum"
printf 'strategy auto (1 JVM, with held-out scoring): %7.2f s  (%.2f of the one-by-one sum)\n' "$auto" \
    "$(echo "$auto / $sum" | bc -l)"
