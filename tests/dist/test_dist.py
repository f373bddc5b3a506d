"""Distribution, end to end, with the real tools users run (tests/dist/requirements.txt):

- the pip wheel: built with maturin, installed into a fresh virtualenv, run from there;
- the pre-commit hooks: `pre-commit try-repo` and `pre-commit run` on throwaway git repos;
- the example GitHub Actions workflow: SchemaStore's workflow schema, and its forklint steps
  run on a sample project;
- the release workflow (.github/workflows/release.yml): the same schema for every workflow,
  its matrix against the promised wheels, its version and checksum steps run here;
- the pre-commit mirror (mirrors/forklint-pre-commit/): its manifest, its pins, the script
  that bumps them, and its hook installing the wheel with pip limited to it;
- the user guide: MkDocs in strict mode (links and anchors between pages), then LinkChecker
  over the built HTML;
- release hygiene: `cargo package`, the version in one place, licence, changelog.

Run by scripts/test.sh with target/test-tools/dist-venv/bin/python -m pytest tests/dist.
"""

from __future__ import annotations

import hashlib
import itertools
import json
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
# top level (FL101 in app.py, the thread start in util.py) and main.py imports app (a loose
# module of the same program: a step of FL101's chain, not an FL105 of its own).
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
    # The package is the binary (bindings = "bin"), plus, as Ruff's, the small Python
    # package that finds it for `python -m forklint`: nothing else.
    python = sorted(n for n in names if n.endswith(".py"))
    assert python == ["forklint/__init__.py", "forklint/__main__.py"], names


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


def test_python_dash_m_forklint_runs_the_installed_binary(installed, tmp_path):
    python = installed / "python"
    # Not on PATH: `python -m forklint` must find the binary through the package itself.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    env["PATH"] = "/usr/bin:/bin"
    version = run([python, "-m", "forklint", "--version"], tmp_path, env=env, check_code=0)
    assert version.stdout.strip() == f"forklint {VERSION}"
    found = run(
        [python, "-c", "import forklint; print(forklint.find_forklint_bin())"],
        tmp_path,
        env=env,
        check_code=0,
    )
    assert Path(found.stdout.strip()) == installed / "forklint"
    project = tmp_path / "project"
    shutil.copytree(REPO / "fixtures" / "fl101" / "across-modules", project)
    # Arguments and the exit code pass through (1: hazards found).
    result = run(
        [python, "-m", "forklint", "check", ".", "--output-format", "concise", "--color", "never"],
        project,
        env=env,
        check_code=1,
    )
    assert concise_findings(result.stdout) == expectations(project), result.stdout


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
    assert "FL101" in failed.stdout and "./main.py:1:8" in failed.stdout, failed.stdout
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
# The release workflow (.github/workflows/release.yml)
# ---------------------------------------------------------------------------------------------

WORKFLOWS_DIR = REPO / ".github" / "workflows"
RELEASE = WORKFLOWS_DIR / "release.yml"
MATURIN_ACTION = "PyO3/maturin-action@"
# What the release promises (docs/installation.md): (target, manylinux/musllinux tag).
PROMISED_WHEELS = {
    ("x86_64-unknown-linux-gnu", "2_17"),
    ("aarch64-unknown-linux-gnu", "2_17"),
    ("x86_64-unknown-linux-musl", "musllinux_1_2"),
    ("aarch64-unknown-linux-musl", "musllinux_1_2"),
    ("universal2-apple-darwin", None),
    ("x86_64-pc-windows-msvc", None),
}
# GitHub's shell for `shell: bash` steps.
GITHUB_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]


def load_workflow(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as true.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def matrix_rows(job: dict) -> list[dict]:
    """The rows of a job's matrix: the product of its keys, then `include` (no `exclude`)."""
    matrix = job.get("strategy", {}).get("matrix")
    if not matrix:
        return [{}]
    assert "exclude" not in matrix, "this reader does not expand `exclude`"
    keys = [k for k in matrix if k != "include"]
    rows = [dict(zip(keys, combo)) for combo in itertools.product(*(matrix[k] for k in keys))]
    return rows + list(matrix.get("include", []))


def resolve(value, context: dict):
    """`value` with each `${{ matrix.… }}`/`${{ env.… }}`/`${{ needs.… }}` expression that
    names a known value replaced by it; other expressions are left as they are."""
    if not isinstance(value, str):
        return value

    def lookup(m):
        node = context
        for part in m.group(1).split("."):
            if not isinstance(node, dict) or part not in node:
                return m.group(0)
            node = node[part]
        return str(node)

    return re.sub(r"\$\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}", lookup, value)


def maturin_builds(workflow: dict) -> list[dict]:
    """One entry per maturin-action step and matrix row: the job, the resolved inputs, and the
    artifact uploads of the same job."""
    builds = []
    for job_id, job in workflow["jobs"].items():
        for row in matrix_rows(job):
            context = {"matrix": row, "env": workflow.get("env", {})}
            for step in job.get("steps", []):
                if step.get("uses", "").startswith(MATURIN_ACTION):
                    inputs = {k: resolve(v, context) for k, v in step.get("with", {}).items()}
                    uploads = [
                        {k: resolve(v, context) for k, v in s.get("with", {}).items()}
                        for s in job["steps"]
                        if s.get("uses", "").startswith("actions/upload-artifact@")
                    ]
                    builds.append({"job": job_id, "inputs": inputs, "uploads": uploads})
    return builds


def step_named(job: dict, name: str) -> dict:
    steps = [s for s in job["steps"] if s.get("name") == name]
    assert len(steps) == 1, f"no single step named {name!r}"
    return steps[0]


def test_every_workflow_matches_the_github_workflow_schema():
    workflows = sorted(WORKFLOWS_DIR.glob("*.y*ml"))
    assert RELEASE in workflows, workflows
    run(
        [VENV_BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows",
         *workflows],
        REPO,
        check_code=0,
    )


def test_the_workflow_schema_check_rejects_a_broken_workflow(tmp_path):
    # The check above can fail: a job without `runs-on` (here misspelt) is not a workflow.
    text = RELEASE.read_text()
    good, bad = "\n    runs-on: ubuntu-24.04\n", "\n    runs_on: ubuntu-24.04\n"
    assert good in text
    broken = tmp_path / "release.yml"
    broken.write_text(text.replace(good, bad, 1))
    result = run(
        [VENV_BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", broken],
        REPO,
    )
    assert result.returncode == 1, result.stdout + result.stderr


def test_release_matrix_builds_every_promised_wheel_and_the_sdist():
    workflow = load_workflow(RELEASE)
    builds = maturin_builds(workflow)
    wheels = [b for b in builds if b["inputs"].get("command", "build") == "build"]
    sdists = [b for b in builds if b["inputs"].get("command") == "sdist"]
    built = {(b["inputs"].get("target"), b["inputs"].get("manylinux")) for b in wheels}
    assert PROMISED_WHEELS <= built, f"missing: {PROMISED_WHEELS - built}"
    assert len(sdists) == 1, sdists
    for build in wheels:
        args = build["inputs"]["args"].split()
        # The dist profile (fat LTO), the committed Cargo.lock, PyPI's upload checks.
        assert args[args.index("--profile") + 1] == "dist", build
        assert "--locked" in args and "--release" not in args, build
        assert args[args.index("--compatibility") + 1] == "pypi", build
        assert "${{" not in build["inputs"]["target"], build
    for build in builds:
        out = build["inputs"]["args"].split()
        out_dir = out[out.index("--out") + 1]
        # Each build uploads what it wrote, as a `wheels-*` artifact the release collects.
        assert any(u["path"] == out_dir and u["name"].startswith("wheels-")
                   for u in build["uploads"]), build
    names = [u["name"] for b in builds for u in b["uploads"]]
    assert len(names) == len(set(names)), f"two builds upload the same artifact: {names}"


def test_release_uses_the_tested_maturin_and_pinned_actions():
    text = RELEASE.read_text()
    workflow = load_workflow(RELEASE)
    requirements = (REPO / "tests" / "dist" / "requirements.txt").read_text()
    maturin = re.search(r"^maturin==(\S+)$", requirements, re.M).group(1)
    assert workflow["env"]["MATURIN_VERSION"] == f"v{maturin}"
    assert workflow["env"]["RUST_TOOLCHAIN"] == tomllib.loads(
        (REPO / "Cargo.toml").read_text())["package"]["rust-version"]
    for build in maturin_builds(workflow):
        assert build["inputs"]["maturin-version"] == f"v{maturin}", build
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", text, re.M)
    assert uses
    for action, comment in uses:
        # A full commit SHA, with the version it is in a comment, as Ruff pins its actions.
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s*# v\d+(\.\d+)*", comment), (action, comment)


def test_release_dist_profile_is_the_release_profile_with_fat_lto():
    profiles = tomllib.loads((REPO / "Cargo.toml").read_text())["profile"]
    dist = profiles["dist"]
    assert dist == {"inherits": "release", "lto": "fat", "codegen-units": 1}, dist
    # Builds from source (pip, pre-commit, cargo install) keep the quicker release profile.
    assert profiles["release"].get("lto") == "thin"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "profile" not in pyproject["tool"]["maturin"]


def test_release_plan_accepts_only_the_tag_of_the_cargo_version(tmp_path):
    job = load_workflow(RELEASE)["jobs"]["plan"]
    script = step_named(job, "Read the version")["run"]

    def plan(ref: str):
        output = tmp_path / "output"
        output.write_text("")
        env = dict(os.environ, GITHUB_REF=ref, GITHUB_REF_NAME=ref.rsplit("/", 1)[-1],
                   GITHUB_OUTPUT=str(output))
        return run([*GITHUB_BASH, script], REPO, env=env), output.read_text()

    for ref in [f"refs/tags/v{VERSION}", "refs/heads/main", "refs/pull/7/merge"]:
        result, output = plan(ref)
        assert result.returncode == 0, (ref, result.stdout, result.stderr)
        assert output == f"version={VERSION}\n"
    result, _ = plan("refs/tags/v99.0.0")
    assert result.returncode == 1
    assert f"does not match the version in Cargo.toml ({VERSION})" in result.stdout


def test_release_collects_every_build_and_sums_each_file(tmp_path):
    workflow = load_workflow(RELEASE)
    jobs = workflow["jobs"]
    release = jobs["release"]
    builders = {b["job"] for b in maturin_builds(workflow)} | {"vsix"}
    assert builders <= set(release["needs"]), release["needs"]

    step = step_named(release, "Write SHA256SUMS")
    folder = tmp_path / step["working-directory"]
    folder.mkdir(parents=True)
    files = {
        f"forklint-{VERSION}-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl": b"w1",
        f"forklint-{VERSION}-py3-none-macosx_10_12_universal2.whl": b"w2",
        f"forklint-{VERSION}.tar.gz": b"sdist",
        f"forklint-{VERSION}.vsix": b"vsix",
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    run([*GITHUB_BASH, step["run"]], folder, check_code=0)
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in sums)
    assert listed == {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}
    # `sha256sum --check` as a user runs it, and it notices a changed file.
    run(["sha256sum", "--check", "SHA256SUMS"], folder, check_code=0)
    (folder / f"forklint-{VERSION}.vsix").write_bytes(b"tampered")
    assert run(["sha256sum", "--check", "SHA256SUMS"], folder).returncode == 1
    # Nothing downloaded: the step fails rather than publish an empty release.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run([*GITHUB_BASH, step["run"]], empty).returncode != 0


def test_release_publishes_only_from_a_tag_with_least_privilege():
    workflow = load_workflow(RELEASE)
    jobs = workflow["jobs"]
    assert workflow["permissions"] == {}
    assert set(workflow["on"]) == {"push", "pull_request", "workflow_dispatch"}
    assert workflow["on"]["push"] == {"tags": ["v*"]}
    tag_only = "startsWith(github.ref, 'refs/tags/v')"
    granted = {job_id: job["permissions"] for job_id, job in jobs.items() if "permissions" in job}
    assert granted == {"release": {"contents": "write"}, "pypi": {"id-token": "write"}}
    publish = step_named(jobs["release"], "Publish the GitHub release")
    assert tag_only in publish["if"] and "gh release create" in publish["run"]
    pypi = jobs["pypi"]
    assert tag_only in pypi["if"] and pypi["environment"]["name"] == "pypi"
    assert "release" in pypi["needs"]
    assert "uv publish --trusted-publishing always" in step_named(pypi, "Publish to PyPI")["run"]


def test_release_builds_the_vsix_as_the_test_script_does():
    job = load_workflow(RELEASE)["jobs"]["vsix"]
    step = step_named(job, "Build the .vsix")
    assert step["working-directory"] == "editors/vscode"
    commands = [line.strip() for line in step["run"].splitlines()]
    test_sh = (REPO / "scripts" / "test.sh").read_text()
    for command in ["npm ci", "npm run compile", "npm run package"]:
        assert any(c.startswith(command) for c in commands), command
        assert command in test_sh
    upload = [s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload and upload[0]["with"]["path"].endswith(".vsix")
    package = json.loads((REPO / "editors" / "vscode" / "package.json").read_text())
    assert package["version"] == VERSION, "the extension's version is not Cargo.toml's"


# ---------------------------------------------------------------------------------------------
# The pre-commit mirror (mirrors/forklint-pre-commit/): hooks that install the wheel
# ---------------------------------------------------------------------------------------------

MIRROR = REPO / "mirrors" / "forklint-pre-commit"
SYNC = REPO / "scripts" / "sync-pre-commit-mirror.py"


def test_mirror_hook_manifest_is_valid_and_the_same_as_the_repository_hooks(pre_commit_env):
    manifest = MIRROR / ".pre-commit-hooks.yaml"
    pre_commit(["validate-manifest", manifest], REPO, pre_commit_env, 0)
    mirror = yaml.safe_load(manifest.read_text())
    source = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert mirror == source
    assert all(hook["language"] == "python" for hook in mirror)


def test_mirror_pins_the_cargo_toml_version():
    pyproject = tomllib.loads((MIRROR / "pyproject.toml").read_text())
    assert pyproject["project"]["dependencies"] == [f"forklint=={VERSION}"]
    assert pyproject["build-system"]["build-backend"] == "setuptools.build_meta"
    revs = re.findall(r"\brev: (\S+)", (MIRROR / "README.md").read_text())
    assert revs == [f"v{VERSION}"], revs
    assert (MIRROR / "LICENSE").read_text() == (REPO / "LICENSE").read_text()
    run([sys.executable, SYNC, "--check"], REPO, check_code=0)


def test_mirror_sync_script_moves_the_pins_to_a_new_version(tmp_path):
    repo = tmp_path / "repo"
    mirror = repo / "mirror"
    shutil.copytree(MIRROR, mirror)
    cargo = (REPO / "Cargo.toml").read_text()
    (repo / "Cargo.toml").write_text(
        re.sub(r'^version = ".*"$', 'version = "9.8.7"', cargo, count=1, flags=re.M))
    args = [sys.executable, SYNC, "--repo", repo, "--mirror", mirror]
    behind = run([*args, "--check"], repo, check_code=1)
    assert "not at forklint 9.8.7" in behind.stderr
    run(args, repo, check_code=0)
    run([*args, "--check"], repo, check_code=0)
    pyproject = tomllib.loads((mirror / "pyproject.toml").read_text())
    assert pyproject["project"]["dependencies"] == ["forklint==9.8.7"]
    assert "rev: v9.8.7" in (mirror / "README.md").read_text()
    assert not [p for p in mirror.iterdir() if p.name.endswith(".tmp")]
    # A file without the pin is an error, not a silent no-op.
    (mirror / "README.md").write_text("no pin here\n")
    broken = run(args, repo, check_code=2)
    assert "README.md: no `rev: v<version>` to update" in broken.stderr


def test_mirror_hook_installs_the_wheel_and_finds_a_hazard(wheel, pre_commit_env, tmp_path):
    # The mirror as its own repository, and pip limited to this build's wheel (plus the
    # setuptools that virtualenv embeds, to build the mirror's empty package): forklint can
    # only come from the wheel, never from a build.
    import virtualenv.seed.wheels.embed as embedded

    mirror = git_repo(tmp_path / "forklint-pre-commit",
                      {p.name: p.read_text() for p in MIRROR.iterdir() if p.is_file()})
    links = tmp_path / "links"
    links.mkdir()
    shutil.copy2(wheel, links)
    env = dict(
        pre_commit_env,
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=f"{links} {Path(embedded.__file__).parent}",
    )
    rev = run(["git", "rev-parse", "HEAD"], mirror, check_code=0).stdout.strip()
    # `pre-commit run` (not try-repo, whose environments live in a temporary store).
    project = configured_repo(
        tmp_path / "project",
        (mirror, rev),
        {"util.py": UTIL_STARTS_THREAD, "app.py": APP_CALLS_AT_IMPORT, "main.py": MAIN},
    )
    result = pre_commit(["run", "forklint", "--all-files"], project, env, 1)
    assert re.search(r"^forklint\.+Failed$", result.stdout, re.M), result.stdout
    assert "FL101 import-time-thread-start" in result.stdout, result.stdout
    # The hook's forklint is the wheel's binary, byte for byte.
    installed = list((tmp_path / "pre-commit-home").glob("repo*/py_env-*/bin/forklint"))
    assert len(installed) == 1, installed
    with zipfile.ZipFile(wheel) as z:
        shipped = z.read(f"forklint-{VERSION}.data/scripts/forklint")
    assert installed[0].read_bytes() == shipped


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
