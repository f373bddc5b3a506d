"""Distribution, end to end, with the real tools users run (tests/dist/requirements.txt):

- the pip wheel: built with maturin, installed into a fresh virtualenv, run from there;
- the pre-commit hooks: `pre-commit try-repo` and `pre-commit run` on throwaway git repos;
- the example GitHub Actions workflow: SchemaStore's workflow schema, and its forklint steps
  run on a sample project;
- the user guide: MkDocs in strict mode (links and anchors between pages), then LinkChecker
  over the built HTML;
- release hygiene: `cargo package`, the version in one place, licence, changelog.

Run by scripts/test.sh with target/test-tools/dist-venv/bin/python -m pytest tests/dist.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "target" / "test-tools"
VENV_BIN = Path(sys.executable).parent
VERSION = tomllib.loads((REPO / "Cargo.toml").read_text())["package"]["version"]

# A project where importing `app` starts a thread: app.py calls util.start_worker() at its
# top level (FL101 in app.py, the thread start in util.py) and main.py imports app (FL105).
UTIL_STARTS_THREAD = (
    "import threading\n\n\ndef start_worker():\n"
    "    threading.Thread(target=print).start()\n"
)
UTIL_QUIET = "def start_worker():\n    pass\n"
APP_CALLS_AT_IMPORT = "import util\n\nutil.start_worker()\n"
APP_FIXED = (
    "import util\n\n\ndef main():\n    util.start_worker()\n\n\n"
    'if __name__ == "__main__":\n    main()\n'
)
MAIN = "import app\n"
# FL203 with a safe fix: `preexec_fn=os.setsid` becomes `start_new_session=True`.
LAUNCH = (
    "import os\nimport subprocess\n\n\ndef launch(cmd):\n"
    "    return subprocess.Popen(cmd, preexec_fn=os.setsid)\n"
)


def run(cmd, cwd, env=None, check_code=None):
    """Runs `cmd`, returning the completed process; with `check_code`, asserts the exit code
    and shows the output when it differs."""
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if check_code is not None:
        assert proc.returncode == check_code, (
            f"{cmd} exited {proc.returncode}, expected {check_code}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )
    return proc


def with_path(bin_dir: Path) -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


GIT_IDENTITY = ["-c", "user.name=forklint tests", "-c", "user.email=tests@forklint.invalid"]
# Fixed dates make a snapshot of the same tree the same commit, so pre-commit's cache of the
# hook environment (keyed by repository and revision) survives between runs.
FIXED_DATES = {
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def git_repo(root: Path, files: dict[str, str]) -> Path:
    """A git repository with `files` committed."""
    root.mkdir(parents=True, exist_ok=True)
    write_files(root, files)
    run(["git", "init", "-q"], root, check_code=0)
    run(["git", "add", "-A"], root, check_code=0)
    run(["git", *GIT_IDENTITY, "commit", "-q", "-m", "init"], root, check_code=0)
    return root


def expectations(project: Path) -> set[tuple[str, int, str]]:
    """(file, line, code) for every `# expect: CODE[, CODE]` comment, as tests/fixtures.rs
    reads them: the truth a fixture states about itself."""
    out = set()
    for path in sorted(project.rglob("*.py")):
        rel = path.relative_to(project).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "# expect:" in line:
                for code in line.split("# expect:", 1)[1].split(","):
                    out.add((rel, number, code.strip()))
    return out


def concise_findings(stdout: str) -> set[tuple[str, int, str]]:
    """(file, line, code) of each `./path:line:col: CODE message` line."""
    found = set()
    for line in stdout.splitlines():
        m = re.match(r"^\./(.+?):(\d+):\d+: (FL\d{3}) ", line)
        if m:
            found.add((m.group(1), int(m.group(2)), m.group(3)))
    return found


# ---------------------------------------------------------------------------------------------
# The pip wheel
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built as a release would build it (`maturin build --release`)."""
    out = tmp_path_factory.mktemp("wheels")
    run([VENV_BIN / "maturin", "build", "--release", "--out", out], REPO, check_code=0)
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="session")
def installed(tmp_path_factory, wheel) -> Path:
    """The bin directory of a fresh virtualenv with only the wheel installed."""
    env_dir = tmp_path_factory.mktemp("wheel-venv")
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    run(
        [bin_dir / "pip", "install", "--no-index", "--disable-pip-version-check", wheel],
        env_dir,
        check_code=0,
    )
    return bin_dir


def test_wheel_takes_its_version_from_cargo_toml_and_ships_only_the_binary(wheel):
    assert wheel.name.startswith(f"forklint-{VERSION}-py3-none-"), wheel.name
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        dist_info = f"forklint-{VERSION}.dist-info"
        metadata = z.read(f"{dist_info}/METADATA").decode()
    assert "Name: forklint\n" in metadata
    assert f"Version: {VERSION}\n" in metadata
    assert "License-Expression: MIT\n" in metadata
    assert "Requires-Python: >=3.8\n" in metadata
    assert f"forklint-{VERSION}.data/scripts/forklint" in names
    assert f"{dist_info}/licenses/LICENSE" in names
    # No Python code: the package is the binary (bindings = "bin"), as Ruff's is.
    assert not [n for n in names if n.endswith(".py")], names


def test_wheel_binary_is_a_stripped_release_build(wheel, tmp_path):
    with zipfile.ZipFile(wheel) as z:
        binary = Path(z.extract(f"forklint-{VERSION}.data/scripts/forklint", tmp_path))
    sections = run(["readelf", "-S", "-W", binary], tmp_path, check_code=0).stdout
    assert ".text" in sections
    assert ".symtab" not in sections, "the release binary still has its symbol table"
    profile = tomllib.loads((REPO / "Cargo.toml").read_text())["profile"]["release"]
    assert profile.get("lto") in ("thin", "fat", True), profile
    assert profile.get("strip") is True, profile


def test_installed_wheel_puts_forklint_on_path_and_checks_a_fixture(installed, tmp_path):
    assert shutil.which("forklint", path=str(installed)) == str(installed / "forklint")
    env = with_path(installed)
    version = run(["forklint", "--version"], tmp_path, env=env, check_code=0)
    assert version.stdout.strip() == f"forklint {VERSION}"
    project = tmp_path / "project"
    shutil.copytree(REPO / "fixtures" / "fl101" / "across-modules", project)
    expected = expectations(project)
    assert expected, "the fixture states no findings"
    result = run(
        ["forklint", "check", ".", "--output-format", "concise", "--color", "never"],
        project,
        env=env,
        check_code=1,
    )
    assert concise_findings(result.stdout) == expected, result.stdout


# ---------------------------------------------------------------------------------------------
# pre-commit
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def snapshot(tmp_path_factory) -> tuple[Path, str]:
    """This checkout as pre-commit would clone it: a git repository of the working tree
    (tracked and untracked files, not ignored ones, uncommitted changes included), and its
    revision."""
    root = tmp_path_factory.mktemp("forklint-snapshot")
    listed = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        REPO,
        check_code=0,
    ).stdout
    for name in sorted(set(filter(None, listed.split("\0")))):
        source = REPO / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    run(["git", "init", "-q"], root, check_code=0)
    run(["git", "add", "-A"], root, check_code=0)
    env = dict(os.environ, **FIXED_DATES)
    run(["git", *GIT_IDENTITY, "commit", "-q", "-m", "snapshot"], root, env=env, check_code=0)
    rev = run(["git", "rev-parse", "HEAD"], root, check_code=0).stdout.strip()
    return root, rev


@pytest.fixture(scope="session")
def pre_commit_env() -> dict:
    env = dict(os.environ)
    # The hook environments are cached under target/, never in the user's ~/.cache.
    env["PRE_COMMIT_HOME"] = str(TOOLS / "pre-commit-home")
    # The hooks are built by pip (maturin, cargo) from the snapshot; sharing this checkout's
    # target directory reuses the compiled dependencies.
    env["CARGO_TARGET_DIR"] = str(REPO / "target")
    return env


def pre_commit(args, cwd, env, check_code=None):
    return run([VENV_BIN / "pre-commit", *args, "--color", "never"], cwd, env, check_code)


def configured_repo(root: Path, snapshot, files: dict[str, str]) -> Path:
    """A throwaway git repository whose .pre-commit-config.yaml uses this checkout's hooks."""
    path, rev = snapshot
    config = (
        "repos:\n"
        f"  - repo: {path}\n"
        f"    rev: {rev}\n"
        "    hooks:\n"
        "      - id: forklint\n"
        "      - id: forklint-fix\n"
    )
    return git_repo(root, {".pre-commit-config.yaml": config, **files})


def test_hook_manifest_is_valid_and_whole_project(pre_commit_env):
    pre_commit(
        ["validate-manifest", REPO / ".pre-commit-hooks.yaml"], REPO, pre_commit_env, 0
    )
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"forklint", "forklint-fix"}
    for hook in hooks.values():
        assert hook["types"] == ["python"]
        assert hook["require_serial"] is True
        assert hook["entry"].startswith("forklint check --whole-project")
    assert "--fix" in hooks["forklint-fix"]["entry"].split()
    assert "--fix" not in hooks["forklint"]["entry"].split()


def test_try_repo_fails_on_a_hazard_with_the_diagnostic(snapshot, pre_commit_env, tmp_path):
    project = git_repo(
        tmp_path / "project",
        {"util.py": UTIL_STARTS_THREAD, "app.py": APP_CALLS_AT_IMPORT, "main.py": MAIN},
    )
    result = pre_commit(
        ["try-repo", snapshot[0], "forklint", "--all-files"], project, pre_commit_env, 1
    )
    assert re.search(r"^forklint\.+Failed$", result.stdout, re.M), result.stdout
    assert "FL101 import-time-thread-start" in result.stdout, result.stdout
    assert "--> ./app.py:3:1" in result.stdout, result.stdout


def test_hook_passes_after_the_fix(snapshot, pre_commit_env, tmp_path):
    project = configured_repo(
        tmp_path / "project",
        snapshot,
        {"util.py": UTIL_STARTS_THREAD, "app.py": APP_CALLS_AT_IMPORT, "main.py": MAIN},
    )
    failed = pre_commit(["run", "forklint", "--all-files"], project, pre_commit_env, 1)
    assert "FL101" in failed.stdout and "FL105" in failed.stdout, failed.stdout
    (project / "app.py").write_text(APP_FIXED)
    passed = pre_commit(["run", "forklint", "--all-files"], project, pre_commit_env, 0)
    assert re.search(r"^forklint\.+Passed$", passed.stdout, re.M), passed.stdout


def test_hook_reports_the_finding_a_changed_file_causes_elsewhere(
    snapshot, pre_commit_env, tmp_path
):
    # app.py already calls util.start_worker() at import time; the commit changes only
    # util.py, making that call start a thread. The finding is in app.py.
    project = configured_repo(
        tmp_path / "project",
        snapshot,
        {"util.py": UTIL_QUIET, "app.py": APP_CALLS_AT_IMPORT},
    )
    pre_commit(["run", "forklint", "--all-files"], project, pre_commit_env, 0)
    (project / "util.py").write_text(UTIL_STARTS_THREAD)
    run(["git", "add", "util.py"], project, check_code=0)
    # Without --all-files pre-commit passes the staged files: util.py only.
    result = pre_commit(["run", "forklint"], project, pre_commit_env, 1)
    assert "--> ./app.py:3:1" in result.stdout, result.stdout
    assert "./util.py:5:5" in result.stdout, result.stdout


def test_fix_hook_applies_the_safe_fix_then_passes(snapshot, pre_commit_env, tmp_path):
    project = configured_repo(tmp_path / "project", snapshot, {"launch.py": LAUNCH})
    fixed = pre_commit(["run", "forklint-fix", "--all-files"], project, pre_commit_env, 1)
    assert "files were modified by this hook" in fixed.stdout, fixed.stdout
    text = (project / "launch.py").read_text()
    assert "start_new_session=True" in text and "preexec_fn" not in text, text
    pre_commit(["run", "forklint-fix", "--all-files"], project, pre_commit_env, 0)
    pre_commit(["run", "forklint", "--all-files"], project, pre_commit_env, 0)


# ---------------------------------------------------------------------------------------------
# The example GitHub Actions workflow
# ---------------------------------------------------------------------------------------------

WORKFLOW = REPO / "docs" / "integrations" / "forklint.yml"


def test_example_workflow_matches_the_github_workflow_schema():
    run(
        [VENV_BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", WORKFLOW],
        REPO,
        check_code=0,
    )


def test_example_workflow_steps_annotate_and_write_sarif(installed, tmp_path):
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    runs = [s for s in steps if s.get("run", "").startswith("forklint ")]
    annotate = [s for s in runs if "--output-format github" in s["run"]]
    sarif = [s for s in runs if "--output-format sarif" in s["run"]]
    uploads = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert len(annotate) == 1 and len(sarif) == 1 and len(uploads) == 1, steps
    # The SARIF is written and uploaded even when the annotation step failed the job.
    assert sarif[0].get("if") == "always()"
    assert uploads[0].get("if", "").startswith("always() && "), uploads[0]

    project = tmp_path / "project"
    shutil.copytree(REPO / "fixtures" / "fl101" / "across-modules", project)
    env = with_path(installed)
    # A step's `run` is a shell command; GitHub runs it with bash -e.
    annotations = run(["bash", "-e", "-c", annotate[0]["run"]], project, env, check_code=1)
    lines = annotations.stdout.splitlines()
    assert lines and all(re.match(r"^::(error|warning) ", l) for l in lines), annotations.stdout
    assert any("file=app.py" in l and "FL101" in l for l in lines), annotations.stdout
    run(["bash", "-e", "-c", sarif[0]["run"]], project, env, check_code=0)
    log_file = project / uploads[0]["with"]["sarif_file"]
    log = yaml.safe_load(log_file.read_text())  # JSON is YAML
    assert log["version"] == "2.1.0"
    found = {r["ruleId"] for r in log["runs"][0]["results"]}
    assert {c for _, _, c in expectations(project)} == found


# ---------------------------------------------------------------------------------------------
# The user guide
# ---------------------------------------------------------------------------------------------


def test_docs_build_in_strict_mode_and_every_link_resolves():
    # Under target/ (world-readable), because LinkChecker running as root drops to `nobody`.
    site = TOOLS / "site"
    shutil.rmtree(site, ignore_errors=True)
    build = run(
        [VENV_BIN / "mkdocs", "build", "--strict", "--site-dir", site], REPO, check_code=0
    )
    assert "WARNING" not in build.stderr, build.stderr
    # Every page is rendered, the generated rule pages included.
    for page in (REPO / "docs").rglob("*.md"):
        rel = page.relative_to(REPO / "docs").with_suffix("")
        html = site / (rel.parent if rel.name in ("index", "README") else rel) / "index.html"
        assert html.is_file(), f"{page} was not rendered to {html}"
    # LinkChecker follows every link from the home page through the built HTML (pages, anchors
    # of the theme, assets). External links are not checked: CI has no general network.
    check = run(
        [
            VENV_BIN / "linkchecker",
            "--no-status",
            "--ignore-url=^https?://",
            "--ignore-url=^mailto:",
            (site / "index.html").as_uri(),
        ],
        REPO,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert re.search(r"\b0 errors found", check.stdout), check.stdout


@pytest.mark.parametrize(
    "document",
    ["README.md", "CHANGELOG.md", "rules/README.md", "editors/vscode/README.md",
     "editors/neovim/README.md"],
)
def test_relative_links_outside_the_guide_resolve(document):
    path = REPO / document
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        file = target.split("#", 1)[0]
        assert (path.parent / file).exists(), f"{document}: broken link {target}"


# ---------------------------------------------------------------------------------------------
# Release hygiene
# ---------------------------------------------------------------------------------------------


def test_cargo_package_builds_the_crate_as_published():
    listing = run(
        ["cargo", "package", "--locked", "--allow-dirty", "--list"], REPO, check_code=0
    ).stdout.split()
    for required in ["src/main.rs", "rules/stdlib.toml", "rules/libraries.toml", "LICENSE",
                     "README.md", "CHANGELOG.md", "Cargo.lock"]:
        assert required in listing, f"{required} is not packaged"
    assert not [f for f in listing if f.startswith(("fixtures/", "tests/", "editors/"))]
    # Packages, then builds the packaged crate on its own (the verification step).
    run(["cargo", "package", "--locked", "--allow-dirty"], REPO, check_code=0)


def test_version_licence_and_changelog_agree():
    cargo = tomllib.loads((REPO / "Cargo.toml").read_text())["package"]
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["project"]["dynamic"] == ["version"], "the version has one source"
    assert "version" not in pyproject["project"]
    assert cargo["license"] == pyproject["project"]["license"] == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    assert re.search(rf"^## \[{re.escape(VERSION)}\]", (REPO / "CHANGELOG.md").read_text(), re.M)
