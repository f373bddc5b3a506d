#!/usr/bin/env bash
# Regenerates the generated documentation:
#   - docs/rules/ from the rule metadata in src/rules/ (`forklint debug generate-docs`);
#   - docs/knowledge.md from the knowledge files rules/*.toml (`forklint knowledge`);
#   - the example in docs/graph.md: `forklint graph` (DOT and Mermaid) of the fixture project
#     fixtures/fl105/graph-example, and docs/graph-example.svg rendered from the DOT by Graphviz.
# Graphviz is installed from the distribution's packages when `dot` is missing. This script is
# not part of scripts/test.sh; the tests check the generated text (docs/rules/, and the DOT and
# Mermaid blocks of docs/graph.md), never the SVG.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cargo build --locked --quiet
bin="$root/target/debug/forklint"

"$bin" debug generate-docs docs/rules
"$bin" knowledge --output-format markdown >docs/knowledge.md

if ! command -v dot >/dev/null; then
    echo "docs.sh: installing graphviz" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
fi

# Run in a copy outside the repository, so module names are the example's own (`app`, not
# `fixtures.fl105.graph-example.app`) and paths are short.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r fixtures/fl105/graph-example "$tmp/example"
(cd "$tmp/example" && "$bin" graph . --format dot) >"$tmp/graph.dot"
(cd "$tmp/example" && "$bin" graph . --format mermaid) >"$tmp/graph.mmd"
dot -Tsvg "$tmp/graph.dot" >docs/graph-example.svg

# Replace what stands between `<!-- generated: NAME -->` and `<!-- end: NAME -->` in
# docs/graph.md with a fenced block of the new output.
splice() { # NAME LANGUAGE FILE
    awk -v name="$1" -v lang="$2" -v file="$3" '
        $0 == "<!-- generated: " name " -->" {
            print; print "```" lang
            while ((getline line < file) > 0) print line
            print "```"; skip = 1; next
        }
        $0 == "<!-- end: " name " -->" { skip = 0 }
        !skip { print }
    ' docs/graph.md >"$tmp/graph.md"
    mv "$tmp/graph.md" docs/graph.md
}
splice dot dot "$tmp/graph.dot"
splice mermaid mermaid "$tmp/graph.mmd"
echo "docs.sh: wrote docs/rules/, docs/knowledge.md, docs/graph.md and docs/graph-example.svg" >&2
