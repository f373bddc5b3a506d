#!/usr/bin/env bash
# Coverage-guided fuzzing of the whole pipeline with libFuzzer (cargo-fuzz, nightly toolchain).
#
#   bash scripts/fuzz.sh [SECONDS]     # default 600
#
# Seeds the corpus with the fixture projects (each project's files joined by the file
# separator byte 0x1e, as forklint::fuzz::pipeline splits them) and the saved regressions, and
# gives libFuzzer a dictionary of Python tokens the rules care about. A crash is written to
# fuzz/artifacts/pipeline/; copy it to tests/fuzz-regressions/ with the fix, so the stable
# harness (tests/fuzz.rs, run by scripts/test.sh) replays it forever.
#
# Not part of scripts/test.sh: CI runs on stable only. The stable harness covers the same
# function there, without coverage guidance.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}

rustup toolchain list | grep -q '^nightly' || { echo "error: needs the nightly toolchain" >&2; exit 2; }
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

corpus=fuzz/corpus/pipeline
mkdir -p "$corpus"
python3 - "$corpus" <<'PY'
import hashlib, pathlib, sys
out = pathlib.Path(sys.argv[1])
for fixture in sorted(p for p in pathlib.Path("fixtures").rglob("*") if p.is_dir()):
    files = sorted(f for f in fixture.iterdir() if f.suffix == ".py")
    if files:
        data = b"\x1e".join(f.read_bytes() for f in files[:7])
        (out / hashlib.sha1(data).hexdigest()).write_bytes(data)
for f in sorted(pathlib.Path("tests/fuzz-regressions").glob("*")):
    (out / f.name).write_bytes(f.read_bytes())
PY

cargo +nightly fuzz run pipeline "$corpus" -- \
    -dict=fuzz/pipeline.dict -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096
