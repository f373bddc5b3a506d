#!/usr/bin/env python3
"""Measures forklint's recall on real reported-and-fixed bugs (fixtures/recall/).

Each case is a pair of fixture projects: `fixtures/recall/NAME/` (the code before the upstream
fix, with a `# expect: FLxxx` comment on every line where the hazard truly is) and
`fixtures/recall/NAME-fixed/` (the code after the fix). This script runs a forklint binary on
both, the way the fixture harness does (the project directory as its source root, the
`args` of its fixture.toml, the default rule selection), and prints for each case:

- found before: every expectation of the pre-fix project is reported (`partial` when only some
  are);
- clean after: the fixed project reports exactly its own expectations (normally none);
- whether the `missed`/`false_positives` lists of the fixture.toml still describe this binary
  (a stale list means the test harness will fail until it is updated).

Usage:
    python3 scripts/recall.py [--binary PATH] [--markdown] [--fixtures DIR]

Standard library only (Python 3.11+, for tomllib). Never runs the fixtures' code.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXPECT = re.compile(r"#\s*expect:(.*)$")

Finding = tuple[str, int, str]  # (file relative to the project, 1-based line, code)


def expectations(project: Path) -> set[Finding]:
    """The `# expect: CODE[, CODE]` comments of a project, as the harness reads them."""
    out: set[Finding] = set()
    for path in sorted(project.rglob("*.py")):
        rel = path.relative_to(project).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = EXPECT.search(line)
            if match:
                for code in match.group(1).split(","):
                    out.add((rel, number, code.strip()))
    return out


def parse_known(entries: list[str]) -> set[Finding]:
    out: set[Finding] = set()
    for entry in entries:
        file, line, code = entry.rsplit(":", 2)
        out.add((file, int(line), code))
    return out


def run(binary: str, project: Path, args: list[str]) -> set[Finding]:
    cmd = [binary, "check", ".", "--src", "."]
    if (project / "src").is_dir():
        cmd += ["--src", "src"]
    cmd += ["--output-format", "json", "--color", "never", *args]
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=300)
    if proc.returncode not in (0, 1):
        sys.exit(f"{project}: {' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}")
    found: set[Finding] = set()
    for diagnostic in json.loads(proc.stdout or "[]"):
        file = diagnostic["file"].removeprefix("./")
        # A finding that stands for others at its statement (one statement, one finding)
        # reports their hazards too, as the fixture harness counts them.
        codes = [diagnostic["code"]] + [c["code"] for c in diagnostic.get("also", [])]
        for code in codes:
            found.add((file, diagnostic["start"]["row"], code))
    return found


def upstream_ref(description: str) -> str:
    """`Recall: <ref>. <rest>` -> `<ref>` (the upstream issue and fix commit)."""
    text = description.removeprefix("Recall:").strip()
    return text.split(". ", 1)[0].rstrip(".")


@dataclass
class Case:
    name: str
    ref: str
    rules: list[str]
    expected: set[Finding]
    found_before: set[Finding]
    after_expected: set[Finding]
    found_after: set[Finding]
    stale: list[str] = field(default_factory=list)

    @property
    def hits(self) -> set[Finding]:
        return self.expected & self.found_before

    @property
    def before(self) -> str:
        if self.hits == self.expected:
            return "yes"
        if self.hits:
            return f"partial ({len(self.hits)}/{len(self.expected)})"
        return "no"

    @property
    def clean_after(self) -> bool:
        return self.found_after == self.after_expected


def load(binary: str, root: Path) -> list[Case]:
    cases = []
    for project in sorted(p for p in root.iterdir() if (p / "fixture.toml").is_file()):
        if project.name.endswith("-fixed"):
            continue
        fixed = project.with_name(project.name + "-fixed")
        if not (fixed / "fixture.toml").is_file():
            sys.exit(f"{project}: no {fixed.name}/ twin")
        before_toml = tomllib.loads((project / "fixture.toml").read_text(encoding="utf-8"))
        after_toml = tomllib.loads((fixed / "fixture.toml").read_text(encoding="utf-8"))
        expected = expectations(project)
        case = Case(
            name=project.name,
            ref=upstream_ref(before_toml["description"]),
            rules=sorted({code for _, _, code in expected}),
            expected=expected,
            found_before=run(binary, project, before_toml.get("args", [])),
            after_expected=expectations(fixed),
            found_after=run(binary, fixed, after_toml.get("args", [])),
        )
        # Do the manifests still describe this binary?
        missed = parse_known(before_toml.get("missed", []))
        actually_missed = expected - case.found_before
        if missed != actually_missed:
            case.stale.append(
                f"missed lists {sorted(missed)}, this binary misses {sorted(actually_missed)}"
            )
        for name, toml, found, exp in (
            (project.name, before_toml, case.found_before, expected),
            (fixed.name, after_toml, case.found_after, case.after_expected),
        ):
            listed = parse_known(toml.get("false_positives", []))
            actual = found - exp
            if listed != actual:
                case.stale.append(
                    f"{name}: false_positives lists {sorted(listed)}, "
                    f"this binary reports {sorted(actual)}"
                )
        cases.append(case)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--binary",
        default=shutil.which("forklint") or "/work/bin/forklint-base",
        help="the forklint binary to measure (default: forklint on PATH)",
    )
    parser.add_argument("--fixtures", type=Path, default=REPO / "fixtures" / "recall")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    opts = parser.parse_args()
    binary = os.path.abspath(opts.binary) if os.sep in opts.binary else opts.binary
    cases = load(binary, opts.fixtures)

    header = ["case", "upstream", "rule", "found before", "clean after"]
    rows = [
        [c.name, c.ref, ", ".join(c.rules), c.before, "yes" if c.clean_after else "no"]
        for c in cases
    ]
    if opts.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    else:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        widths[1] = min(widths[1], 60)
        for row in [header, *rows]:
            cells = [row[i][: widths[i]].ljust(widths[i]) for i in range(len(header))]
            print("  ".join(cells).rstrip())

    n = len(cases)
    found = sum(c.before == "yes" for c in cases)
    partial = sum(c.before.startswith("partial") for c in cases)
    clean = sum(c.clean_after for c in cases)
    both = sum(c.before == "yes" and c.clean_after for c in cases)
    expectations_total = sum(len(c.expected) for c in cases)
    expectations_hit = sum(len(c.hits) for c in cases)
    print()
    print(f"binary: {binary}")
    print(f"cases: {n}")
    print(f"found before the fix (every expectation reported): {found}/{n}" + (f", partially {partial}" if partial else ""))
    print(f"missed: {n - found - partial}/{n}")
    print(f"expectations reported: {expectations_hit}/{expectations_total}")
    print(f"clean after the fix: {clean}/{n}")
    print(f"found before and clean after: {both}/{n}")
    stale = [(c.name, s) for c in cases for s in c.stale]
    if stale:
        print()
        print("fixture.toml lists that do not match this binary (the harness will fail):")
        for name, s in stale:
            print(f"  {name}: {s}")


if __name__ == "__main__":
    main()
