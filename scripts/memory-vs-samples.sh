#!/usr/bin/env bash
# Issue 3 check: calibration memory must not grow with the calibration set. Tiles the bundled
# tinyclip-shapes calibration tensors to 1024 samples, prunes with Wanda (sequential) on the
# first 128 and on all 1024, and compares the peak RSS of the two runs.
#
# Both runs get the same bounded heap and the serial collector (JAVA_OPTS overrides): with G1 and
# the default 6 GB maximum heap, peak RSS mostly measures how much garbage the collector lets pile
# up before it runs, which grows with the run's length, not with what the engine keeps live.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$root/testdata/src/main/resources/dev/shears/testdata/tinyclip-shapes"
dir="${1:-/tmp/shears-memory}"
mkdir -p "$dir/calib1024"
"$root/shears" --version >/dev/null
python3 - "$data/calib" "$dir/calib1024" <<'PY'
import sys, numpy as np
src, dst = sys.argv[1], sys.argv[2]
for name in ("pixel_values", "input_ids", "attention_mask"):
    a = np.load(f"{src}/{name}.npy")
    np.save(f"{dst}/{name}.npy", np.concatenate([a] * 4)[:1024])
PY
for n in 128 1024; do
  /usr/bin/time -v -o "$dir/time-$n.txt" java ${JAVA_OPTS:--Xmx160m -XX:+UseSerialGC} -jar "$root/cli/target/shears.jar" prune \
      "$data/model.onnx" -o "$dir/out-$n.onnx" --sparsity 0.5 --scorer wanda --allocator uniform \
      --calib "$dir/calib1024" --calib-samples "$n" --quiet >/dev/null
  echo "$n $(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/time-$n.txt") $(awk -F': ' '/Elapsed/ {print $2}' "$dir/time-$n.txt")"
done | python3 -c "
import sys
rows = [l.split() for l in sys.stdin]
for n, kb, wall in rows: print(f'{n:>5} samples: peak RSS {int(kb)/1024:.0f} MiB, wall {wall}')
print(f'ratio 1024/128: {int(rows[1][1])/int(rows[0][1]):.3f}')"
