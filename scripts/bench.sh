#!/usr/bin/env bash
# Benchmark: forklint check on the CPython standard library (release build), against a
# parse-only floor measured in the same run (same discovery, same parser, same parallelism,
# nothing else). Prints wall time and peak RSS of each, and their ratio.
#   scripts/bench.sh [RUNS]      (default 3 runs each; the best is reported)
#   BENCH_X10=1 scripts/bench.sh  also on ten copies of the corpus (make-corpus.sh --x10;
#                                 about 17,900 files, several minutes, a few GiB of memory)
# Targets (2-core machine; docs/configuration.md#cache and issue 23): cold within 1.5x the
# floor and under 100 MiB; warm with nothing changed within 0.15x the floor, one file changed
# within 0.3x; the x10 corpus within 10.5x the time and 10x the RSS of the stdlib.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
corpus_root="${FORKLINT_CORPUS:-$HOME/.cache/forklint-corpus}"
x10="${BENCH_X10:-0}"
if [ "$x10" = 1 ]; then
  bash scripts/make-corpus.sh "$corpus_root" --x10 >/dev/null
else
  bash scripts/make-corpus.sh "$corpus_root" >/dev/null
fi
corpus="$corpus_root/stdlib"
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is needed for peak RSS (apt-get install time)" >&2; exit 2; }
cargo build --release --locked --quiet
bin="$PWD/target/release/forklint"
files=$(find "$corpus" -name '*.py' | wc -l)

# measure LABEL CMD...: best wall seconds, best CPU seconds (user+sys) and peak RSS (KiB)
# over $runs runs. CPU time is reported too because wall time on a shared 2-core VM is noisy;
# the targets are stated in wall time.
measure() {
  local label="$1"; shift
  local best_wall="" best_rss="" best_cpu=""
  for _ in $(seq "$runs"); do
    local log; log=$(mktemp)
    /usr/bin/time -f '%e %M %U %S' -o "$log" "$@" >/dev/null 2>&1 || true
    read -r wall rss user sys <"$log"; rm -f "$log"
    local cpu; cpu=$(awk "BEGIN{print $user + $sys}")
    if [ -z "$best_wall" ] || awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall; fi
    if [ -z "$best_cpu" ] || awk "BEGIN{exit !($cpu < $best_cpu)}"; then best_cpu=$cpu; fi
    if [ -z "$best_rss" ] || [ "$rss" -lt "$best_rss" ]; then best_rss=$rss; fi
  done
  printf '%-12s wall %6.2f s   cpu %6.2f s   peak RSS %6.1f MiB\n' "$label" "$best_wall" "$best_cpu" "$(awk "BEGIN{print $best_rss/1024}")"
  eval "${label//-/_}_wall=$best_wall; ${label//-/_}_rss=$best_rss; ${label//-/_}_cpu=$best_cpu"
}

echo "corpus: $corpus ($files .py files), $(nproc) cores, best of $runs runs"
measure parse-only "$bin" debug parse-only "$corpus"
# Cold: no summary cache (every file parsed), as the first run on a project.
measure check "$bin" check --no-cache --quiet --exit-zero --output-format concise "$corpus"
# Warm: the summary cache filled by an earlier run (docs/configuration.md#cache), nothing
# changed; then with one file changed before each run (a comment appended to a copy).
cache_dir=$(mktemp -d); work=$(mktemp -d); patho=$(mktemp -d)
trap 'rm -rf "$cache_dir" "$work" "$patho"' EXIT
cp -r "$corpus" "$work/stdlib"
"$bin" check --cache-dir "$cache_dir" --quiet --exit-zero "$work/stdlib" >/dev/null 2>&1 || true
measure warm "$bin" check --cache-dir "$cache_dir" --quiet --exit-zero --output-format concise "$work/stdlib"
measure warm-1-changed sh -c 'echo "# edit $$" >> "$1/stdlib/colorsys.py"; shift; exec "$@"' sh "$work" \
  "$bin" check --cache-dir "$cache_dir" --quiet --exit-zero --output-format concise "$work/stdlib"
ratio=$(awk "BEGIN{printf \"%.2f\", $check_wall/$parse_only_wall}")
cpu_ratio=$(awk "BEGIN{printf \"%.2f\", $check_cpu/$parse_only_cpu}")
echo "ratio check/parse-only: wall ${ratio}x (target <= 1.5x), cpu ${cpu_ratio}x; check peak RSS $(awk "BEGIN{printf \"%.1f\", $check_rss/1024}") MiB (target <= 100 MiB)"
echo "warm/parse-only: wall $(awk "BEGIN{printf \"%.2f\", $warm_wall/$parse_only_wall}")x (target <= 0.15x), one file changed $(awk "BEGIN{printf \"%.2f\", $warm_1_changed_wall/$parse_only_wall}")x (target <= 0.3x); warm peak RSS $(awk "BEGIN{printf \"%.1f\", $warm_rss/1024}") MiB"
# The editor server's first analysis of the same tree, with an empty then a warm cache.
python3 scripts/bench-server.py --binary "$bin" --workspace "$work/stdlib" --initial-only
if [ "$x10" = 1 ]; then
  corpus10="$corpus_root/stdlib-x10"
  echo "x10 corpus: $corpus10 ($(find "$corpus10" -name '*.py' | wc -l) .py files)"
  measure parse-only-x10 "$bin" debug parse-only "$corpus10"
  measure check-x10 "$bin" check --no-cache --quiet --exit-zero --output-format concise "$corpus10"
  echo "x10/stdlib: check wall $(awk "BEGIN{printf \"%.2f\", $check_x10_wall/$check_wall}")x (target <= 10.5x), peak RSS $(awk "BEGIN{printf \"%.2f\", $check_x10_rss/$check_rss}")x (target <= 10x); floor $(awk "BEGIN{printf \"%.2f\", $parse_only_x10_wall/$parse_only_wall}")x"
fi
findings=$("$bin" check --no-cache --quiet --exit-zero --output-format concise "$corpus" | wc -l)
echo "findings on the standard library: $findings"
"$bin" check --no-cache --quiet --exit-zero --output-format concise "$corpus" | awk '{print $2}' | sort | uniq -c | sort -rn

# Instruction counts (deterministic, unlike times on a shared VM): `BENCH_INSTRUCTIONS=1`.
# Valgrind runs the threads one at a time, so this is total work, not wall time; it takes
# about a minute per command.
if [ "${BENCH_INSTRUCTIONS:-0}" = 1 ]; then
  command -v valgrind >/dev/null || { echo "error: BENCH_INSTRUCTIONS=1 needs valgrind" >&2; exit 2; }
  instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null \
      | awk '/Collected :/ {print $NF}'
  }
  floor_ir=$(instructions "$bin" debug parse-only "$corpus")
  check_ir=$(instructions "$bin" check --no-cache --quiet --exit-zero --output-format concise "$corpus")
  echo "instructions: parse-only $floor_ir, check $check_ir, ratio $(awk "BEGIN{printf \"%.2f\", $check_ir/$floor_ir}")x"
fi

# Resource bounds on pathological projects, generated outside the repository: 10,000 modules
# in one import cycle (each imports the next and calls into it; the first starts a thread at
# import), a 1,000-deep call chain in one file, and the same chain across 1,000 modules. Each
# must finish quickly and report the thread start at the end of the chain.
python3 - "$patho" <<'PY'
import os, sys
root = sys.argv[1]
os.makedirs(f"{root}/cycle"); os.makedirs(f"{root}/chain"); os.makedirs(f"{root}/chain-modules")
n = 10_000
for i in range(n):
    j = (i + 1) % n
    head = "import threading\n" if i == 0 else ""
    tail = "\nthreading.Thread(target=print).start()\n" if i == 0 else ""
    with open(f"{root}/cycle/m{i}.py", "w") as f:
        f.write(f"{head}import m{j}\n\ndef f{i}():\n    return m{j}.f{j}()\n{tail}")
d = 1_000
with open(f"{root}/chain/deep.py", "w") as f:
    f.write("import threading\n")
    f.writelines(f"def f{i}():\n    return f{i + 1}()\n\n" for i in range(d))
    f.write(f"def f{d}():\n    threading.Thread(target=print).start()\n\nf0()\n")
for i in range(d):
    with open(f"{root}/chain-modules/c{i}.py", "w") as f:
        f.write(f"import c{i + 1}\n\ndef f():\n    return c{i + 1}.f()\n")
with open(f"{root}/chain-modules/c{d}.py", "w") as f:
    f.write("import threading\n\ndef f():\n    threading.Thread(target=print).start()\n")
with open(f"{root}/chain-modules/main.py", "w") as f:
    f.write("import c0\nc0.f()\n")
PY
echo "pathological projects (best of $runs):"
for name in cycle chain chain-modules; do
  found=$("$bin" check --quiet --exit-zero --output-format concise "$patho/$name" | grep -c ' FL10[15] ' || true)
  measure "$name" "$bin" check --quiet --exit-zero --output-format concise "$patho/$name"
  echo "             findings FL101/FL105: $found"
done
