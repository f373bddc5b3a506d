#!/usr/bin/env python3
"""Real-world sweep: run forklint on large real code bases and check that it behaves.

Targets:

- the local Python installation: every `.py` file of the standard library
  (`sysconfig.get_paths()["stdlib"]`) and of site-packages (`sysconfig.get_paths()["purelib"]`),
  as two targets;
- the source distributions pinned in `SDISTS` below (the *tuning* set), fetched from PyPI and
  extracted once into `CACHE/src/NAME-VERSION`;
- the source distributions pinned, with their sha256, in `EVAL_SDISTS` below: a second,
  evaluation list of projects that were never used to tune forklint, split once and for all
  into a *pattern* half and a *held-out* half (see `split_eval` and `--set`).

Sets (`--set`, default `tuning`):

- `tuning`: stdlib, site-packages and `SDISTS` (what the script always swept; the engine was
  tuned on these, so their precision is not a fair measure);
- `pattern`: the pattern half of `EVAL_SDISTS` (engineers may look at it to find patterns);
- `heldout`: the held-out half of `EVAL_SDISTS` (nobody tunes on it: measure precision here);
- `all`: all of the above.

The split is fixed: `EVAL_SDISTS` sorted by project name, the 1st, 3rd, 5th ... project in
that order go to `pattern`, the 2nd, 4th, 6th ... to `heldout` (`split_eval`). It was chosen
before any finding was looked at. Adding a project later reshuffles the halves, so don't: add
a third list instead.

For each target the binary runs `check TARGET --select ALL --exit-zero` once per output format
(text, concise, json, sarif, github), each under `--timeout`, never through a shell, and once
more as `check TARGET --exit-zero --output-format json -q` with the default rule selection, to
tell which findings a user sees by default (`findings_default`, `per_rule_default`). The json
run is made without `-q`, so that the summary line and the warnings about skipped files reach
stderr; the others run with `-q`. `forklint debug parse-only TARGET` (the same discovery) gives
the number of files checked. Each run records its exit code, wall time, the child's peak RSS
(`os.wait4`'s `ru_maxrss`), stderr's warning lines, and whether json/sarif output parses.

A target FAILS if any run exits other than 0 (with `--exit-zero`, 1 is a bug too; 2 is a
usage/input error, 101 a Rust panic), times out, is killed by a signal, prints "panicked" on
stderr, prints json/sarif that does not parse, or if the formats disagree on the number of
findings (json vs sarif results vs concise lines vs github annotations).

Downloads never run the projects' code: `pip download` of an sdist prepares its metadata, which
runs its build backend (`setup.py`), so the sdist is fetched directly: its URL and sha256 come
from `https://pypi.org/pypi/NAME/VERSION/json` (or, where a mirror does not serve that, the
`releases` table of `/pypi/NAME/json`; for `EVAL_SDISTS` the sha256 pinned here must match
it), the archive is downloaded with urllib into
CACHE/sdists, its digest checked, and it is unpacked once into CACHE/src/NAME-VERSION with the
`data` extraction filter (tar) or an equivalent path check (zip). Everything goes into the
cache directory, never into the repository.

Peak RSS: the children are started by a small launcher process made at the start, because on
Linux a child's `ru_maxrss` includes the RSS of the process it was forked from.

Usage (from anywhere; Python 3.11+ standard library only):

    python3 scripts/sweep.py                       # all targets, target/release/forklint
    python3 scripts/sweep.py --binary /tmp/forklint-release --json /tmp/sweep.json
    python3 scripts/sweep.py --only stdlib --only django --timeout 120
    python3 scripts/sweep.py --binary /tmp/forklint-release --set heldout --json /tmp/h.json

Prints a table (target, files, findings, per-rule counts, wall time, peak RSS, status) and
exits 1 if any target failed, 2 if a download failed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections import Counter
from pathlib import Path

# Exact versions (latest on PyPI for Python 3.11 when the sweep was written).
SDISTS: list[tuple[str, str]] = [
    ("django", "5.2.19"),
    ("celery", "5.7.0"),
    ("gunicorn", "27.0.1"),
    ("pymongo", "4.20.0"),
    ("sentry-sdk", "2.75.0"),
    ("tornado", "6.6.1"),
    ("twisted", "26.10.0"),
    ("sqlalchemy", "2.1.9"),
    ("ansible-core", "2.19.14"),
]

# The evaluation list: projects with heavy thread/fork/process/subprocess use, none of them in
# SDISTS, pinned to the latest version for Python 3.11 on PyPI when the list was made, with the
# sha256 of the sdist. Keep it sorted; see split_eval() for the fixed pattern/held-out split.
EVAL_SDISTS: list[tuple[str, str, str]] = [
    ("apscheduler", "3.11.3", "cd2fcc9330039a81a5893472ad49facf23a6d5604cbe1d918c835c6de7834d5a"),
    ("billiard", "4.3.2", "9eb83c99b1cf7acb1fed86c1dfd477157000a1a2c0108005c1e5837b55d2acba"),
    ("cherrypy", "18.10.0", "6c70e78ee11300e8b21c0767c542ae6b102a49cac5cfd4e3e313d7bb907c5891"),
    ("circus", "0.19.0", "fbe6a5029998ac1239b17ebdd38251ac8b22627d30e4ec6f68cb10233911b0f4"),
    ("distributed", "2026.8.0",
     "6f55008ecacf96ba945309fc12e680544764995e27bd63cc5e109afb97d7044d"),
    ("dramatiq", "2.2.1", "f9fbbd2feea27b3fa4085446242a24d86f78288b20c78a93f9f0bdbd7d908cd5"),
    ("elastic-apm", "6.26.2", "2301de319a85353bd7810dc5d715df8e7e6fd829cf0148a5fb9f0811a2fed7bb"),
    ("execnet", "2.1.2", "63d83bfdd9a23e35b9c6a3261412324f964c2ec8dcd8d3c6916ee9373e0befcd"),
    ("huey", "3.5.4", "328f5a2dd1406621e5edb17d45655ae232ad9f32c0795ca8dc0bfc121dd7b30c"),
    ("hypercorn", "0.18.0", "d63267548939c46b0247dc8e5b45a9947590e35e64ee73a23c074aa3cf88e9da"),
    ("joblib", "1.6.0", "2ccc96785b12046c08fd6d55839c12857831b54a3c1673ffadd2f04bfc4eda03"),
    ("kafka-python", "3.0.12",
     "4ccda3616b9aa5c353d74a97f2770d6cd1b950890d77ab0e8890e09a48eeed65"),
    ("kombu", "5.7.0", "31e62fdfd2381caa3422f8e02b84a491d9a2180ddda74507b57f4cb1e1c2c2c9"),
    ("locust", "2.47.0", "70ffe28cdb7a3224a4efb60b31d585c26343d5679fec8d5b18017ffb6893b423"),
    ("luigi", "3.8.1", "2fa5eb5d3474e495de09bd964f502936c08f8b1eb6e0f3ca3c8a69116c38d0c3"),
    ("opentelemetry-sdk", "1.45.2",
     "7eec4de13dd21ff3a1670dcb0e02079e692736f94d733dfdce5af461d884248d"),
    ("paramiko", "5.1.0", "239b5f9b2a53006cd54f83cf8495ee742083708ead947882c8dd2786de79f39b"),
    ("pexpect", "4.9.0", "ee7d41123f3c9911050ea2c2dac107568dc43b2d3b0c7557a33212c398ead30f"),
    ("prometheus-client", "0.26.0",
     "04a91bcf94e2cf74a44a1a874d651a2e853ed354b6e822f3b7487751465d5c2b"),
    ("pytest-xdist", "3.8.0", "7e578125ec9bc6050861aa93f2d59f1d8d085595d6551c2c90b6f4fad8d3a9f1"),
    ("rpyc", "6.0.2", "8e780a6a71b842128a80a337c64adfb6f919014e069951832161c9efc630c93b"),
    ("rq", "3.0.0", "b41e39b3c36ec3faf9e2402c638a0b25fe18ebb93a1cb15193bc69694f054618"),
    ("supervisor", "4.3.0", "4a2bf149adf42997e1bb44b70c43b613275ec9852c3edacca86a9166b27e945e"),
    ("uvicorn", "0.55.0", "b65ae5f0f30cdcbc26a104b93d7d19723aa5f46fec3915a6c247d5795449331c"),
    ("waitress", "3.0.2", "682aaaf2af0c44ada4abfb70ded36393f0e307f4ab9456a215ce0020baefc31f"),
    ("watchdog", "7.1.0", "d3861e255416f49a1384474cb2efa097de165fb330d4c5432ce6708b509ed922"),
]


def split_eval(projects: list[tuple[str, str, str]] = EVAL_SDISTS) -> dict[str, str]:
    """The fixed split of EVAL_SDISTS: project name -> "pattern" or "heldout".

    Sorted by name; the 1st, 3rd, 5th ... go to "pattern", the 2nd, 4th, 6th ... to "heldout".
    """
    names = sorted(name for name, _, _ in projects)
    return {name: ("pattern" if i % 2 == 0 else "heldout") for i, name in enumerate(names)}


SETS = ("tuning", "pattern", "heldout", "all")

FORMATS = ["text", "concise", "json", "sarif", "github", "gitlab", "junit", "json-lines",
           "rdjson", "pylint", "azure"]
REPO_ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- downloads


def _get(url: str, timeout: float = 60) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "forklint-sweep"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read()


def fetch_sdist(name: str, version: str, cache: Path, sha256: str | None = None) -> Path:
    """Download NAME==VERSION's sdist (once) and extract it (once); return the source dir.

    With `sha256`, PyPI's digest must be that one (the pin), or nothing is downloaded.
    """
    dest = cache / "src" / f"{name}-{version}"
    if dest.is_dir():
        return dest
    entry = _sdist_entry(name, version)
    if sha256 is not None and entry["sha256"] != sha256:
        raise RuntimeError(f"{entry['filename']}: PyPI's sha256 {entry['sha256']} is not the "
                           f"pinned {sha256}")
    archive = cache / "sdists" / entry["filename"]
    archive.parent.mkdir(parents=True, exist_ok=True)
    want = entry["sha256"]
    if not archive.is_file() or _sha256(archive) != want:
        print(f"  downloading {entry['url']}", file=sys.stderr)
        data = _get(entry["url"], timeout=300)
        if hashlib.sha256(data).hexdigest() != want:
            raise RuntimeError(f"{entry['filename']}: sha256 mismatch")
        tmp = archive.with_suffix(archive.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(archive)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=dest.parent))
    try:
        _extract(archive, staging)
        # An sdist holds one top-level directory NAME-VERSION/; use its contents.
        children = list(staging.iterdir())
        root = children[0] if len(children) == 1 and children[0].is_dir() else staging
        root.rename(dest) if root is not staging else staging.rename(dest)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return dest


def _sdist_entry(name: str, version: str) -> dict:
    """The sdist's filename, url and sha256, from PyPI's JSON API.

    `/pypi/NAME/VERSION/json` first; where that endpoint is not served (some mirrors and
    proxies), the `releases` table of `/pypi/NAME/json`.
    """
    base = f"https://pypi.org/pypi/{name}/{version}/json"
    try:
        files = json.loads(_get(base))["urls"]
    except urllib.error.HTTPError as e:
        if e.code != 404:
            raise
        base = f"https://pypi.org/pypi/{name}/json"
        files = json.loads(_get(base))["releases"].get(version)
        if files is None:
            raise RuntimeError(f"{name} has no version {version} on PyPI") from None
    for f in files:
        if f["packagetype"] == "sdist":
            url = urllib.parse.urljoin(base, f["url"])  # a mirror may give relative URLs
            return {"filename": f["filename"], "url": url, "sha256": f["digests"]["sha256"]}
    raise RuntimeError(f"{name}=={version} has no sdist on PyPI")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _extract(archive: Path, into: Path) -> None:
    name = archive.name
    if name.endswith((".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")):
        with tarfile.open(archive) as tf:
            tf.extractall(into, filter="data")
    elif name.endswith(".zip"):
        base = into.resolve()
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                target = (into / member.filename).resolve()
                if base != target and base not in target.parents:
                    raise RuntimeError(f"{name}: unsafe path {member.filename!r}")
            zf.extractall(into)
    else:
        raise RuntimeError(f"unknown archive type: {name}")


# --------------------------------------------------------------------------- runs


# The children are started by a small launcher process, created at the start while this
# process is small. On Linux a child's `ru_maxrss` includes the RSS of the process it was
# forked from (the high-water mark survives `execve`), so children forked from this process,
# which grows as it parses large json/sarif reports, would report this process's size
# instead of their own. The launcher reads no output and stays at the interpreter's ~10 MiB.
LAUNCHER = r"""
import json, os, subprocess, sys, time
for line in sys.stdin:
    req = json.loads(line)
    with open(req["stdout"], "wb") as out, open(req["stderr"], "wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen(req["argv"], stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        timed_out = False
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            if time.monotonic() - start > req["timeout"]:
                timed_out = True
                proc.kill()
                pid, status, rusage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    print(json.dumps({"exit": proc.returncode, "timed_out": timed_out, "wall": wall,
                      "maxrss_kib": rusage.ru_maxrss}), flush=True)
"""


class Launcher:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.proc = subprocess.Popen([sys.executable, "-I", "-c", LAUNCHER], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()

    def run(self, argv: list[str], timeout: float) -> dict:
        """Run argv (no shell), output to files; return exit, time, peak RSS and output."""
        out, err = self.workdir / "stdout", self.workdir / "stderr"
        req = {"argv": argv, "timeout": timeout, "stdout": str(out), "stderr": str(err)}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        rep = json.loads(self.proc.stdout.readline())
        code = rep["exit"]
        return {
            "argv": argv,
            "exit": code,
            "signal": (signal.Signals(-code).name
                       if code < 0 and not rep["timed_out"] else None),
            "timed_out": rep["timed_out"],
            "wall_s": round(rep["wall"], 3),
            "peak_rss_mib": round(rep["maxrss_kib"] / 1024, 1),  # ru_maxrss: KiB on Linux
            "stdout": out.read_bytes().decode("utf-8", "replace"),
            "stderr": err.read_bytes().decode("utf-8", "replace"),
        }


def sweep_target(binary: str, name: str, path: Path, timeout: float,
                 launcher: Launcher) -> dict:
    result: dict = {"target": name, "path": str(path), "runs": {}, "problems": []}
    problems: list[str] = result["problems"]

    parse = launcher.run([binary, "debug", "parse-only", str(path)], timeout)
    files = None
    for word in parse["stdout"].split("\n", 1)[0].split():
        if word.isdigit():
            files = int(word)
            break
    result["files"] = files
    if parse["exit"] != 0:
        problems.append(f"parse-only exited {parse['exit']}")

    counts: dict[str, int] = {}
    for fmt in FORMATS:
        argv = [binary, "check", str(path), "--select", "ALL", "--exit-zero",
                "--output-format", fmt]
        if fmt != "json":  # the json run keeps the summary line and the warnings
            argv.append("-q")
        run = launcher.run(argv, timeout)
        stdout, stderr = run.pop("stdout"), run.pop("stderr")
        run["warnings"] = [l for l in stderr.splitlines() if "warning" in l.lower()]
        run["stderr_tail"] = stderr.splitlines()[-5:]
        run["panicked"] = "panicked" in stderr
        if run["timed_out"]:
            problems.append(f"{fmt}: timed out after {timeout:g} s")
        elif run["signal"]:
            problems.append(f"{fmt}: killed by {run['signal']}")
        elif run["exit"] == 101:
            problems.append(f"{fmt}: exit 101 (panic)")
        elif run["exit"] != 0:
            problems.append(f"{fmt}: exit {run['exit']} (expected 0 with --exit-zero)")
        if run["panicked"]:
            problems.append(f"{fmt}: 'panicked' on stderr")
        ok_run = not run["timed_out"] and run["exit"] in (0, 1)
        if fmt in ("json", "sarif", "gitlab", "rdjson") and ok_run:
            try:
                doc = json.loads(stdout)
                run["parses"] = True
            except ValueError as e:
                run["parses"] = False
                problems.append(f"{fmt}: output does not parse as JSON ({e})")
                doc = None
            if fmt == "json" and doc is not None:
                counts["json"] = len(doc)
                result["per_rule"] = dict(sorted(Counter(f["code"] for f in doc).items()))
                result["findings"] = len(doc)
                result["files_with_findings"] = len({f["file"] for f in doc})
                result["summary"] = next(
                    (l for l in stderr.splitlines()
                     if l.startswith(("Found ", "All checks passed"))), None)
                result["findings_list"] = doc  # every finding, for review
            if fmt == "sarif" and doc is not None:
                counts["sarif"] = sum(len(r.get("results", [])) for r in doc.get("runs", []))
        elif fmt == "concise" and ok_run:
            counts["concise"] = sum(1 for l in stdout.splitlines() if l and not l.startswith(" "))
        elif fmt == "github" and ok_run:
            counts["github"] = sum(1 for l in stdout.splitlines() if l.startswith("::"))
        result["runs"][fmt] = run
    # The default rule selection (no --select): which findings a user sees out of the box.
    run = launcher.run([binary, "check", str(path), "--exit-zero", "--output-format", "json",
                        "-q"], timeout)
    stdout, stderr = run.pop("stdout"), run.pop("stderr")
    run["stderr_tail"] = stderr.splitlines()[-5:]
    run["panicked"] = "panicked" in stderr
    if run["timed_out"]:
        problems.append(f"json (default rules): timed out after {timeout:g} s")
    elif run["exit"] != 0:
        problems.append(f"json (default rules): exit {run['exit']}")
    if run["panicked"]:
        problems.append("json (default rules): 'panicked' on stderr")
    if not run["timed_out"] and run["exit"] == 0:
        try:
            doc = json.loads(stdout)
            result["findings_default"] = len(doc)
            result["per_rule_default"] = dict(sorted(Counter(f["code"] for f in doc).items()))
        except ValueError as e:
            problems.append(f"json (default rules): output does not parse as JSON ({e})")
    result["runs"]["json-default"] = run

    if len(set(counts.values())) > 1:
        problems.append(f"finding counts differ between formats: {counts}")
    result["format_counts"] = counts
    result["wall_s"] = result["runs"].get("json", {}).get("wall_s")
    result["wall_max_s"] = max((r["wall_s"] for r in result["runs"].values()), default=None)
    result["peak_rss_mib"] = max((r["peak_rss_mib"] for r in result["runs"].values()),
                                 default=None)
    result["status"] = "FAIL" if problems else "ok"
    return result


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=str(REPO_ROOT / "target" / "release" / "forklint"),
                    help="forklint binary (default: target/release/forklint in the repo)")
    ap.add_argument("--cache", default=str(Path.home() / ".cache" / "forklint-sweep"),
                    help="where sdists are downloaded and extracted "
                         "(default: ~/.cache/forklint-sweep)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help="run only this target (repeatable): stdlib, site-packages, or a "
                         "project name from SDISTS or EVAL_SDISTS (whatever --set says)")
    ap.add_argument("--set", choices=SETS, default="tuning", dest="set_",
                    help="which targets: tuning (stdlib, site-packages and SDISTS; the "
                         "default), pattern or heldout (a half of EVAL_SDISTS), or all")
    ap.add_argument("--json", metavar="OUT", help="write the full results here")
    args = ap.parse_args()

    binary = str(Path(args.binary).resolve())
    if not os.access(binary, os.X_OK):
        print(f"sweep: {binary} is not an executable file", file=sys.stderr)
        return 2
    cache = Path(args.cache).expanduser().resolve()
    cache.mkdir(parents=True, exist_ok=True)
    if cache == REPO_ROOT or REPO_ROOT in cache.parents:
        print("sweep: the cache must be outside the repository", file=sys.stderr)
        return 2

    paths = sysconfig.get_paths()
    split = split_eval()
    # (name, path or None to download, version, pinned sha256, set)
    every: list[tuple[str, Path | None, str | None, str | None, str]] = [
        ("stdlib", Path(paths["stdlib"]), None, None, "tuning"),
        ("site-packages", Path(paths["purelib"]), None, None, "tuning"),
    ] + [(name, None, version, None, "tuning") for name, version in SDISTS] + [
        (name, None, version, sha, split[name]) for name, version, sha in EVAL_SDISTS]
    targets = [t for t in every if args.set_ == "all" or t[4] == args.set_]
    known = {t[0] for t in every}
    for name in args.only:
        if name not in known:
            print(f"sweep: unknown target {name!r} (known: {', '.join(sorted(known))})",
                  file=sys.stderr)
            return 2
    if args.only:  # --only picks from every set
        targets = [t for t in every if t[0] in args.only]

    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    meta = {
        "binary": binary,
        "forklint_version": version.strip(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "timeout_s": args.timeout,
        "set": args.set_,
        "sdists": dict(SDISTS),
        "eval_sdists": {name: {"version": version, "sha256": sha, "set": split[name]}
                        for name, version, sha in EVAL_SDISTS},
    }
    print(f"{meta['forklint_version']} on Python {meta['python']}, {meta['platform']}",
          file=sys.stderr)

    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=cache))
    launcher = Launcher(workdir)
    results = []
    download_failed = False
    try:
        for name, path, ver, sha, set_ in targets:
            label = name if ver is None else f"{name}-{ver}"
            if path is None:
                try:
                    path = fetch_sdist(name, ver, cache, sha)
                except Exception as e:  # network, missing sdist, bad archive
                    print(f"  {label}: download failed: {e}", file=sys.stderr)
                    results.append({"target": label, "set": set_,
                                    "status": "DOWNLOAD FAILED", "problems": [str(e)]})
                    download_failed = True
                    continue
            print(f"  {label}: {path}", file=sys.stderr, flush=True)
            res = sweep_target(binary, label, path, args.timeout, launcher)
            res["set"] = set_
            results.append(res)
            print(f"    {res['status']} {res.get('findings')} findings, "
                  f"{res['wall_max_s']} s max, {res['peak_rss_mib']} MiB"
                  + "".join(f"\n    ! {p}" for p in res["problems"]),
                  file=sys.stderr, flush=True)
    finally:
        launcher.close()
        shutil.rmtree(workdir, ignore_errors=True)

    print_table(results)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
    if any(r["status"] == "FAIL" for r in results):
        return 1
    return 2 if download_failed else 0


def print_table(results: list[dict]) -> None:
    rows = [("target", "set", "files", "findings", "default", "per rule",
             "wall s (json / max)", "peak RSS MiB", "status")]
    for r in results:
        per_rule = " ".join(f"{k}:{v}" for k, v in r.get("per_rule", {}).items()) or "-"
        wall = (f"{r['wall_s']} / {r['wall_max_s']}" if r.get("wall_s") is not None else "-")
        rows.append((r["target"], r.get("set", "-"), str(r.get("files", "-")),
                     str(r.get("findings", "-")), str(r.get("findings_default", "-")),
                     per_rule, wall, str(r.get("peak_rss_mib", "-")), r["status"]))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    for r in results:
        for p in r.get("problems", []):
            print(f"{r['target']}: {p}")


if __name__ == "__main__":
    sys.exit(main())
