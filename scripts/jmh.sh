#!/usr/bin/env bash
# JMH benchmarks of the pruning kernels (plugins/src/test/java: MaskSelectionBenchmark,
# SparseGptBenchmark). Scores are weights per second (ops/s with one op = one weight).
# mvn verify compiles them but never runs them.
#
#   scripts/jmh.sh                          # all, short settings: -f 1 -wi 2 -i 3 -w 2s -r 3s
#   scripts/jmh.sh MaskSelection -i 5       # a regex of benchmarks, then any JMH options
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cp_file="$root/plugins/target/jmh.classpath"
mvn -q -pl plugins -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >&2
classes="$root/plugins/target/test-classes:$root/plugins/target/classes"
pattern="${1:-Benchmark}"
shift || true
exec java ${JAVA_OPTS:--Xmx4g} -cp "$classes:$(cat "$cp_file")" org.openjdk.jmh.Main "$pattern" \
    -f 1 -wi 2 -i 3 -w 2s -r 3s -jvmArgs "${JAVA_OPTS:--Xmx4g}" "$@"
