#!/usr/bin/env python3
"""Score forklint's call graph, and PyCG's, on PyCG's micro-benchmark.

The benchmark is PyCG's micro-benchmark (Apache-2.0), kept outside the repository in
`../shared/bench/pycg-micro-benchmark` (`--bench` moves it): 119 tests in 18 categories, each
`snippets/CATEGORY/TEST/` with a `main.py` (sometimes more modules and packages beside it) and
`callgraph.json`, the ground truth: `{"main": ["main.func", "<builtin>.len"], "main.func": []}`,
the callees of the module-level code of each module (key "main", "to_import", ...) and of each
function and method by dotted name (`main.Class.method`, `main.outer.inner`).

For each test the script runs, never through a shell and each under `--timeout`:

- forklint: `FORKLINT graph --calls --format pycg-json SNIPPET_DIR`, which prints the graph in
  the same JSON shape on stdout;
- PyCG 0.0.8, the way PyCG's own micro-benchmark runner (`micro-benchmark/base.py` in its
  sdist) calls it, with `main.py` as the only entry point and the snippet directory as the
  package: `python -m pycg --package SNIPPET_DIR SNIPPET_DIR/main.py -o OUT.json`. PyCG finds
  the other modules through the imports. (Listing every .py file as an entry point gives the
  same scores.)

PyCG is installed by the script if missing, idempotently, into a venv under the cache directory
(`~/.cache/forklint-pycg/venv`; `--cache` moves it): `pip download` of the pinned sdist (PyPI's
wheel of 0.0.8 holds the package as `PyCG/`, which `import pycg` does not find on a
case-sensitive file system, so the sdist it is; its sha256 is pinned below), then
`pip install --no-deps` of that file into the venv. PyCG 0.0.8 uses `ast.Num`/`ast.Str`,
which Python 3.14 removed: the venv is made with `--pycg-python` (default: this interpreter),
which must be 3.8 to 3.13. `--no-pycg` skips PyCG, `--no-forklint` skips forklint.

Scoring (the measures of PyCG's paper, ICSE 2021):

- An edge is (caller, callee) for each callee in the list of each key of the JSON. Both tools'
  outputs and the ground truth are normalised the same way: an object of lists of strings, edges
  deduplicated, empty strings (as key or as callee) dropped. Keys with an empty list add no edge,
  so the node set is not compared: a tool need not list callee-only nodes (`"<builtin>.len": []`)
  or modules without calls (`"to_import": []`). (PyCG's own output matches the ground truth's
  node set wherever its edges match, so the choice does not change its numbers.)
- A test is an **exact match** when the produced edge set equals the ground truth's edge set.
- **Precision** = true edges produced / all edges produced, **recall** = true edges produced /
  all ground-truth edges, both micro-averaged: summed over every edge of every test, overall and
  per category. Precision with no edge produced is undefined and printed as "-".
- A run that fails (non-zero exit, time-out, output that is not such JSON) counts as an empty
  graph for the scores, and is counted and reported as an error.

Reference, measured with this script on 2026-12-03 with PyCG 0.0.8 on Python 3.11.7: exact
106/119, precision 0.976 (246/252), recall 0.932 (246/264); per category in docs/call-graph.md.

Usage (from anywhere; Python 3.11+ standard library only):

    python3 scripts/pycg_bench.py --forklint target/release/forklint
    python3 scripts/pycg_bench.py --no-forklint                 # PyCG alone
    python3 scripts/pycg_bench.py --only classes --only mro --show-diffs --json /tmp/pycg.json

Prints, per category and overall, each tool's exact matches, precision and recall side by side
(`--show-diffs`: the missing and extra edges of each test that is not exact). Exits 0 when the
runs were made (whatever the scores), 1 if a forklint run failed (it then counts as an empty
graph in the scores), 2 on a usage or setup error
(benchmark or binary missing, PyCG not installable).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BENCH = REPO_ROOT.parent / "shared" / "bench" / "pycg-micro-benchmark"

PYCG_VERSION = "0.0.8"
PYCG_SDIST = f"pycg-{PYCG_VERSION}.tar.gz"
PYCG_SHA256 = "644b4df4346b393ca29450223da12598a6e6ad51fcfb1c218330b774f643a6c1"

TOOLS = ("forklint", "pycg")

Edge = tuple[str, str]


class SetupError(Exception):
    """A problem that stops the whole run (exit 2)."""


# --------------------------------------------------------------------------- the benchmark


@dataclass
class Test:
    category: str
    name: str
    path: Path

    @property
    def id(self) -> str:
        return f"{self.category}/{self.name}"


def find_tests(bench: Path, only: list[str]) -> list[Test]:
    snippets = bench / "snippets"
    if not snippets.is_dir():
        raise SetupError(
            f"the benchmark is missing: no directory {snippets}\n"
            "  (PyCG's micro-benchmark is expected in ../shared/bench/pycg-micro-benchmark "
            "beside the repository; pass --bench DIR)"
        )
    tests = [
        Test(cg.parent.parent.name, cg.parent.name, cg.parent)
        for cg in sorted(snippets.glob("*/*/callgraph.json"))
    ]
    if not tests:
        raise SetupError(f"no test (snippets/CATEGORY/TEST/callgraph.json) under {snippets}")
    if only:
        known = {t.category for t in tests}
        unknown = sorted(set(only) - known)
        if unknown:
            raise SetupError(
                f"unknown category {', '.join(unknown)}; the categories are: "
                + ", ".join(sorted(known))
            )
        tests = [t for t in tests if t.category in only]
    return tests


def edges_of(graph: object) -> set[Edge]:
    """The normalised edge set of a PyCG-shaped graph; ValueError if it has another shape."""
    if not isinstance(graph, dict):
        raise ValueError(f"expected a JSON object, got {type(graph).__name__}")
    edges: set[Edge] = set()
    for caller, callees in graph.items():
        if not isinstance(callees, list) or not all(isinstance(c, str) for c in callees):
            raise ValueError(f"the value of {caller!r} is not a list of strings")
        if not caller:
            continue
        edges.update((caller, callee) for callee in callees if callee)
    return edges


# --------------------------------------------------------------------------- running the tools


@dataclass
class Run:
    """One tool on one test."""

    edges: set[Edge] = field(default_factory=set)
    error: str | None = None
    seconds: float = 0.0


def run_json(argv: list[str], timeout: float, out_file: Path | None = None) -> Run:
    """Run argv (no shell) and parse its graph from stdout, or from out_file if given."""
    start = time.monotonic()
    try:
        proc = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
            cwd=tempfile.gettempdir(),
        )
    except subprocess.TimeoutExpired:
        return Run(error=f"timed out after {timeout:g} s", seconds=time.monotonic() - start)
    except OSError as e:
        return Run(error=f"cannot run {argv[0]}: {e}", seconds=time.monotonic() - start)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        return Run(error=f"exit {proc.returncode}: " + " | ".join(tail), seconds=seconds)
    try:
        text = out_file.read_bytes() if out_file is not None else proc.stdout
        return Run(edges=edges_of(json.loads(text)), seconds=seconds)
    except (OSError, ValueError) as e:  # json.JSONDecodeError is a ValueError
        return Run(error=f"bad output: {e}", seconds=seconds)


def run_forklint(binary: Path, test: Test, timeout: float) -> Run:
    # `--src` names the test directory as the root module names start from, as PyCG's
    # `--package` does (the directory is itself a package: without it, forklint names its
    # modules from the directory above, `relative_import_with_name.main`).
    argv = [
        str(binary), "graph", "--calls", "--format", "pycg-json",
        "--src", str(test.path), str(test.path),
    ]
    return run_json(argv, timeout)


def run_pycg(python: Path, test: Test, timeout: float, scratch: Path) -> Run:
    out = scratch / f"{test.category}--{test.name}.json"
    argv = [
        str(python), "-m", "pycg",
        "--package", str(test.path), str(test.path / "main.py"),
        "-o", str(out),
    ]
    return run_json(argv, timeout, out_file=out)


# --------------------------------------------------------------------------- PyCG install


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _pycg_installed(python: Path) -> bool:
    if not python.exists():
        return False
    probe = (
        "import importlib.metadata as m, pycg.pycg, pycg.__main__; "
        f"assert m.version('pycg') == {PYCG_VERSION!r}"
    )
    return subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0


def ensure_pycg(cache: Path, base_python: str) -> Path:
    """Install PyCG PYCG_VERSION into CACHE/venv unless it is there; return the venv's python."""
    venv = cache / "venv"
    python = _venv_python(venv)
    if _pycg_installed(python):
        return python
    print(f"installing PyCG {PYCG_VERSION} into {venv}", file=sys.stderr, flush=True)

    def step(argv: list[str], what: str) -> None:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SetupError(f"{what} failed (exit {proc.returncode}):\n{proc.stderr.strip()}")

    sdist_dir = cache / "sdist"
    sdist = sdist_dir / PYCG_SDIST
    if not sdist.is_file() or _sha256(sdist) != PYCG_SHA256:
        sdist_dir.mkdir(parents=True, exist_ok=True)
        req = sdist_dir / "requirements.txt"
        req.write_text(f"pycg=={PYCG_VERSION} --hash=sha256:{PYCG_SHA256}\n")
        step(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--no-deps", "--no-binary", "pycg", "--require-hashes", "-r", str(req),
             "-d", str(sdist_dir)],
            f"pip download of the PyCG {PYCG_VERSION} sdist",
        )
        if not sdist.is_file() or _sha256(sdist) != PYCG_SHA256:
            raise SetupError(f"{sdist}: missing or sha256 mismatch after the download")
    if not python.exists():
        step([base_python, "-m", "venv", str(venv)], f"creating the venv {venv}")
    step(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", "--force-reinstall", str(sdist)],
        f"pip install of {sdist}",
    )
    if not _pycg_installed(python):
        raise SetupError(f"PyCG {PYCG_VERSION} does not import in {venv} after the install")
    return python


def pycg_python_version(python: Path) -> str:
    proc = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True,
    )
    return proc.stdout.strip()


# --------------------------------------------------------------------------- scoring


@dataclass
class Score:
    tests: int = 0
    exact: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: int = 0

    def add(self, truth: set[Edge], run: Run) -> None:
        self.tests += 1
        self.exact += run.edges == truth
        self.tp += len(run.edges & truth)
        self.fp += len(run.edges - truth)
        self.fn += len(truth - run.edges)
        self.errors += run.error is not None

    @property
    def precision(self) -> float | None:
        produced = self.tp + self.fp
        return self.tp / produced if produced else None

    @property
    def recall(self) -> float | None:
        expected = self.tp + self.fn
        return self.tp / expected if expected else None

    def as_json(self) -> dict:
        return {
            "tests": self.tests, "exact": self.exact, "true_edges": self.tp,
            "extra_edges": self.fp, "missing_edges": self.fn, "errors": self.errors,
            "precision": self.precision, "recall": self.recall,
        }


def fmt_ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def print_table(tools: list[str], rows: list[tuple[str, dict[str, Score]]]) -> None:
    header = ["category", "tests"]
    for tool in tools:
        header += [f"{tool} exact", "prec", "recall"]
    table = [header]
    for name, scores in rows:
        any_score = next(iter(scores.values()))
        line = [name, str(any_score.tests)]
        for tool in tools:
            s = scores[tool]
            err = f" ({s.errors} err)" if s.errors else ""
            line += [f"{s.exact}/{s.tests}{err}", fmt_ratio(s.precision), fmt_ratio(s.recall)]
        table.append(line)
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for i, r in enumerate(table):
        if i == len(table) - 1:
            print("  ".join("-" * w for w in widths))
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        print("  ".join(cells).rstrip())


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--forklint", default=str(REPO_ROOT / "target" / "release" / "forklint"),
                    metavar="PATH", help="the forklint binary (default: target/release/forklint)")
    ap.add_argument("--bench", default=str(DEFAULT_BENCH), metavar="DIR",
                    help="PyCG's micro-benchmark (default: ../shared/bench/pycg-micro-benchmark "
                    "beside the repository)")
    ap.add_argument("--no-pycg", action="store_true", help="do not run PyCG")
    ap.add_argument("--no-forklint", action="store_true", help="do not run forklint")
    ap.add_argument("--cache", default=str(Path.home() / ".cache" / "forklint-pycg"),
                    metavar="DIR", help="where PyCG's venv and sdist go "
                    "(default: ~/.cache/forklint-pycg)")
    ap.add_argument("--pycg-python", default=sys.executable, metavar="PYTHON",
                    help="the interpreter of PyCG's venv (3.8 to 3.13; default: this one)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per run (default 60)")
    ap.add_argument("--only", action="append", default=[], metavar="CATEGORY",
                    help="only this category (repeatable)")
    ap.add_argument("--show-diffs", action="store_true",
                    help="print the missing and extra edges of each test that is not exact")
    ap.add_argument("--json", metavar="OUT", help="write the per-test results here")
    args = ap.parse_args()

    tools = [t for t in TOOLS if not getattr(args, f"no_{t.replace('-', '_')}")]
    if not tools:
        ap.error("--no-forklint and --no-pycg leave nothing to run")
    try:
        tests = find_tests(Path(args.bench), args.only)
        # Absolute, since the runs' working directory is not this one; a bare name is looked
        # up on PATH.
        found = shutil.which(args.forklint) if os.sep not in args.forklint else None
        binary = Path(found or args.forklint).resolve()
        if "forklint" in tools and not binary.is_file():
            raise SetupError(
                f"no forklint binary at {binary} (build it with `cargo build --release`, "
                "pass --forklint PATH, or --no-forklint to score PyCG alone)"
            )
        pycg_python = ensure_pycg(Path(args.cache), args.pycg_python) if "pycg" in tools else None
    except SetupError as e:
        print(f"pycg_bench.py: error: {e}", file=sys.stderr)
        return 2

    total = {t: Score() for t in tools}
    per_cat: dict[str, dict[str, Score]] = {}
    results = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pycg-bench-") as scratch:
        for test in tests:
            truth = edges_of(json.loads((test.path / "callgraph.json").read_bytes()))
            cat = per_cat.setdefault(test.category, {t: Score() for t in tools})
            entry: dict = {"test": test.id, "category": test.category,
                           "ground_truth_edges": len(truth)}
            diffs = []
            for tool in tools:
                if tool == "forklint":
                    run = run_forklint(binary, test, args.timeout)
                else:
                    run = run_pycg(pycg_python, test, args.timeout, Path(scratch))
                total[tool].add(truth, run)
                cat[tool].add(truth, run)
                missing = sorted(truth - run.edges)
                extra = sorted(run.edges - truth)
                entry[tool] = {
                    "exact": run.edges == truth, "error": run.error,
                    "seconds": round(run.seconds, 3),
                    "true_edges": len(truth & run.edges),
                    "missing": [list(e) for e in missing], "extra": [list(e) for e in extra],
                }
                if run.edges != truth:
                    diffs.append((tool, run.error, missing, extra))
            results.append(entry)
            if args.show_diffs and diffs:
                print(f"{test.id}:")
                for tool, error, missing, extra in diffs:
                    print(f"  {tool}:" + (f" ERROR {error}" if error else ""))
                    for a, b in missing:
                        print(f"    - {a} -> {b}")
                    for a, b in extra:
                        print(f"    + {a} -> {b}")
    elapsed = time.monotonic() - started
    if args.show_diffs:
        print("(- missing edge, + extra edge)\n")

    pycg_py = pycg_python_version(pycg_python) if pycg_python else None
    print(f"PyCG micro-benchmark: {len(tests)} tests in {len(per_cat)} categories "
          f"({args.bench}); {elapsed:.1f} s")
    if pycg_py:
        print(f"PyCG {PYCG_VERSION} on Python {pycg_py}")
    print_table(tools, sorted(per_cat.items()) + [("overall", total)])
    for tool in tools:
        s = total[tool]
        print(f"{tool}: exact {s.exact}/{s.tests}, precision {fmt_ratio(s.precision)} "
              f"({s.tp}/{s.tp + s.fp}), recall {fmt_ratio(s.recall)} ({s.tp}/{s.tp + s.fn})"
              + (f", {s.errors} failed runs" if s.errors else ""))
    failed = [r for r in results if "forklint" in r and r["forklint"]["error"]]
    if failed:
        print(f"forklint failed on {len(failed)} tests, e.g. {failed[0]['test']}: "
              f"{failed[0]['forklint']['error']}", file=sys.stderr)

    if args.json:
        report = {
            "date": datetime.date.today().isoformat(),
            "bench": str(Path(args.bench).resolve()),
            "forklint": str(binary) if "forklint" in tools else None,
            "pycg": {"version": PYCG_VERSION, "python": pycg_py} if pycg_python else None,
            "host": {"python": platform.python_version(), "platform": platform.platform()},
            "tests": len(tests),
            "summary": {t: total[t].as_json() for t in tools},
            "categories": {c: {t: s[t].as_json() for t in tools}
                           for c, s in sorted(per_cat.items())},
            "results": results,
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
