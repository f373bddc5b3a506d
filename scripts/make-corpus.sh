#!/usr/bin/env bash
# Builds the benchmark corpora from real, public Python code, outside the repository
# (used by scripts/bench.sh and scripts/bench-server.py).
#   stdlib : the local CPython's standard library (.py files only, no site-packages)
#   stdlib-x10 : ten copies of it, for the scaling check (opt-in: --x10)
# Usage: make-corpus.sh [DEST] [--x10]     (DEST defaults to $HOME/.cache/forklint-corpus)
set -euo pipefail
dest="${1:-$HOME/.cache/forklint-corpus}"
[ "${1:-}" = "--x10" ] && dest="$HOME/.cache/forklint-corpus"
x10=0; for a in "$@"; do [ "$a" = "--x10" ] && x10=1; done
lib="$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')"
mkdir -p "$dest/stdlib"
if [ ! -f "$dest/stdlib/.done" ]; then
  (cd "$lib" && find . -path ./site-packages -prune -o -name '*.py' -print | tar -cf - -T -) | tar -xf - -C "$dest/stdlib"
  touch "$dest/stdlib/.done"
fi
if [ "$x10" = 1 ] && [ ! -f "$dest/stdlib-x10/.done" ]; then
  mkdir -p "$dest/stdlib-x10"
  for i in 0 1 2 3 4 5 6 7 8 9; do cp -r "$dest/stdlib" "$dest/stdlib-x10/copy$i"; done
  touch "$dest/stdlib-x10/.done"
fi
files=$(find "$dest/stdlib" -name '*.py' | wc -l)
echo "corpus: $dest/stdlib ($files .py files from $lib)"
