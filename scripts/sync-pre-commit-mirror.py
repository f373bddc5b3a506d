#!/usr/bin/env python3
"""Keeps the forklint-pre-commit mirror (mirrors/forklint-pre-commit/) at Cargo.toml's version.

    python3 scripts/sync-pre-commit-mirror.py            # rewrite the mirror's version pins
    python3 scripts/sync-pre-commit-mirror.py --check    # exit 1 if they are out of date
    python3 scripts/sync-pre-commit-mirror.py --publish CHECKOUT
        # also copy the mirror into a checkout of the forklint-pre-commit repository,
        # commit "Mirror: <version>" and tag v<version> there (push it yourself)

The version is Cargo.toml's (its one source). The mirror pins `forklint==<version>` in its
pyproject.toml and shows `rev: v<version>` in its README, as astral-sh/ruff-pre-commit does
with ruff. Run it after bumping the version, before tagging (docs/releasing.md); the
distribution tests fail while the mirror is behind.

Exit codes: 0 done (or up to date), 1 out of date (--check), 2 bad usage or a file that does
not have the expected pin.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIRROR = REPO / "mirrors" / "forklint-pre-commit"
VERSION_RE = r"[0-9]+(?:\.[0-9]+)*(?:[-.+]?[0-9A-Za-z.]+)?"

# (file, pattern, replacement template): each pattern must match at least once.
PINS = [
    ("pyproject.toml", rf'"forklint=={VERSION_RE}"', '"forklint=={version}"'),
    ("README.md", rf"\brev: v{VERSION_RE}", "rev: v{version}"),
]


class MirrorError(Exception):
    pass


def cargo_version(repo: Path) -> str:
    return tomllib.loads((repo / "Cargo.toml").read_text())["package"]["version"]


def synced(mirror: Path, version: str) -> dict[str, str]:
    """The mirror's files whose text changes, with their new text."""
    changes = {}
    for name, pattern, template in PINS:
        path = mirror / name
        try:
            text = path.read_text()
        except OSError as e:
            raise MirrorError(f"cannot read {path}: {e.strerror}") from e
        new, count = re.subn(pattern, template.format(version=version), text)
        if count == 0:
            raise MirrorError(f"{path}: no `{template.format(version='<version>')}` to update")
        if new != text:
            changes[name] = new
    return changes


def write_atomically(path: Path, text: str) -> None:
    """Writes a temporary file beside `path`, then renames it over `path`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def publish(mirror: Path, checkout: Path, version: str) -> None:
    if not (checkout / ".git").exists():
        raise MirrorError(f"{checkout} is not a git checkout (of forklint-pre-commit)")
    for source in sorted(mirror.iterdir()):
        if source.is_file():
            shutil.copy2(source, checkout / source.name)
    git = ["git", "-C", str(checkout)]
    subprocess.run([*git, "add", "-A"], check=True)
    if subprocess.run([*git, "diff", "--cached", "--quiet"]).returncode != 0:
        subprocess.run([*git, "commit", "-q", "-m", f"Mirror: {version}"], check=True)
    subprocess.run([*git, "tag", f"v{version}"], check=True)
    print(f"tagged v{version} in {checkout}; push with: git -C {checkout} push --follow-tags")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if behind")
    parser.add_argument("--publish", metavar="CHECKOUT", type=Path,
                        help="copy into a forklint-pre-commit checkout, commit and tag")
    parser.add_argument("--mirror", type=Path, default=MIRROR, help=argparse.SUPPRESS)
    parser.add_argument("--repo", type=Path, default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.check and args.publish:
        parser.error("--check and --publish exclude each other")
    try:
        version = cargo_version(args.repo)
        changes = synced(args.mirror, version)
        if args.check:
            for name in changes:
                print(f"{args.mirror / name}: not at forklint {version}", file=sys.stderr)
            return 1 if changes else 0
        for name, text in changes.items():
            write_atomically(args.mirror / name, text)
            print(f"updated {args.mirror / name} to forklint {version}")
        if args.publish:
            publish(args.mirror, args.publish, version)
    except MirrorError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
