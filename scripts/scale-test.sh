#!/usr/bin/env bash
# Scale check: builds a synthetic CLIP-shaped model with about 2.5 GB of fp32
# weights in external data (never committed), prunes it with uniform Wanda, and reports the
# peak RSS against the model size.
#
#   scripts/scale-test.sh [DIR] [HIDDEN] [LAYERS]      (defaults: /tmp/shears-scale 2112 6)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-/tmp/shears-scale}"; hidden="${2:-2112}"; layers="${3:-6}"
"$root/shears" --version >/dev/null
(cd "$root" && mvn -q -B -pl core -am test-compile >/dev/null)
# the runnable jar carries core and its dependencies; the builder lives in core's test classes
cp="$root/cli/target/shears.jar:$root/core/target/test-classes"
rm -rf "$dir"; mkdir -p "$dir"
java -cp "$cp" dev.shears.core.synthetic.SyntheticClipBuilder "$dir/model" "$hidden" "$layers" fp32 16
size=$(( $(stat -c %s "$dir/model/model.onnx.data") + $(stat -c %s "$dir/model/model.onnx") ))
/usr/bin/time -v -o "$dir/time.txt" java ${JAVA_OPTS:--Xmx2g} -jar "$root/cli/target/shears.jar" prune \
    "$dir/model/model.onnx" -o "$dir/pruned.onnx" --sparsity 0.5 --scorer wanda --allocator uniform \
    --calib "$dir/model/calib" --batch-size 8 --report "$dir/report.json" --quiet
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/time.txt")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$dir/time.txt")
python3 - "$size" "$rss_kb" "$wall" <<'PY'
import sys
size, rss = int(sys.argv[1]), int(sys.argv[2]) * 1024
print(f"model {size/2**30:.2f} GiB, peak RSS {rss/2**30:.2f} GiB = {rss/size:.2f} x the model, wall {sys.argv[3]}")
PY
