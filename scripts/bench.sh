#!/usr/bin/env bash
# End-to-end bench: prunes tinyclip-shapes and all-MiniLM-L6-v2 with the defaults, uniform Wanda
# and ECoFLaP + Wanda (sequential) and uniform Wanda one-shot, and prints per-stage wall time and
# share, peak heap and RSS per run, and the ratios (a) uniform Wanda / floor, (b) ecoflap+wanda /
# uniform wanda and (c) the defaults / floor, the floor being read + one plain ONNX Runtime pass
# over the same calibration set (as the tokenizer pads it) + write. All runs of a model happen in
# one JVM, so the ratios compare like with like.
#
#   scripts/bench.sh                 # both models
#   scripts/bench.sh minilm          # one model (tinyclip | minilm); extra args go to the Bench main:
#   scripts/bench.sh tinyclip --device cuda --sparsity 0.6 --work /tmp/b
#
# Builds the reactor's test classes (cli and what it depends on) and runs
# dev.shears.cli.bench.Bench from cli/src/test/java. JAVA_OPTS (default -Xmx6g) goes to the JVM.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cp_file="$root/cli/target/bench.classpath"
mvn -q -pl cli -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >&2
classes="$root/cli/target/test-classes:$root/cli/target/classes"
exec java ${JAVA_OPTS:--Xmx6g} -cp "$classes:$(cat "$cp_file")" dev.shears.cli.bench.Bench "$@"
