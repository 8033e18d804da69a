#!/usr/bin/env bash
# Follows plugins/example-scorer/README.md as a stranger would, from an empty local Maven
# repository: installs the parent POM and the API with the documented commands, builds the
# example plugin as a standalone project, lists it and prunes the bundled model with it
# through --plugin-path. Any failing step fails the script. Downloads what Maven needs from
# Maven Central into a temporary repository, deleted afterwards.
#
#   scripts/check-plugin-install.sh
set -euo pipefail
cd "$(dirname "$0")/.."

repo="$(mktemp -d)"
work="$(mktemp -d)"
trap 'rm -rf "$repo" "$work"' EXIT
# Every mvn below, the one inside ./shears included, uses the empty repository.
export MAVEN_OPTS="${MAVEN_OPTS:-} -Dmaven.repo.local=$repo"
model=testdata/src/main/resources/dev/shears/testdata/tinyclip-shapes/model.onnx
start=$(date +%s)
step() { echo "== $* ($(( $(date +%s) - start )) s)" >&2; }

step "Build it (plugins/example-scorer/README.md)"
mvn -q install -N
mvn -q install -pl api
mvn -q -f plugins/example-scorer/pom.xml package
JAR=plugins/example-scorer/target/shears-example-scorer-0.1.0-SNAPSHOT.jar
test -f "$JAR" || { echo "check-plugin-install: $JAR was not built" >&2; exit 1; }

step "Use it"
listing="$(./shears plugins --plugin-path $JAR)"
grep -q "^  relative-importance$" <<<"$listing" \
  || { echo "check-plugin-install: shears plugins does not list relative-importance" >&2; exit 1; }
./shears prune "$model" -o "$work/pruned.onnx" --sparsity 0.5 --allocator uniform \
    --plugin-path $JAR --scorer relative-importance --param scorer.columnWeight=0.5 \
    --report "$work/report.json" --quiet
test -s "$work/pruned.onnx" || { echo "check-plugin-install: no pruned model written" >&2; exit 1; }
# the report names the scorer's jar and its version (the jar's Implementation-Version)
tr -d ' \n' <"$work/report.json" | grep -q \
    '"scorer":{"name":"relative-importance","source":"[^"]*/shears-example-scorer-0.1.0-SNAPSHOT.jar","version":"0.1.0-SNAPSHOT"}' \
  || { echo "check-plugin-install: the report does not give the plugin's jar and version" >&2; exit 1; }

step "OK: the documented plugin install works from an empty local repository"
