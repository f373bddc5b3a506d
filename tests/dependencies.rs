//! Installed dependencies analysed with the project (docs/dependencies.md): how the
//! environment is found (`--python`, `python = ...`, `VIRTUAL_ENV`, `.venv` at the root), that
//! hazards are found through a library's own code with its frames in the chain, that nothing
//! is reported inside a library, and that only the library modules the imports reach are read.
//!
//! The fixtures `fixtures/dependencies/*` hold the project and environment these tests copy:
//! `wrapper-client-at-import` (an SDK whose client starts a thread, in `.venv`) and
//! `wrapper-client-no-environment` (the same project without it).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{copy_tree, findings, run_command};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/dependencies")
        .join(name)
}

/// A copy of the project without an environment, and the environment beside it (not below
/// it: only `--python`, the configuration or `VIRTUAL_ENV` can find it there).
fn project_and_environment() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    let env = tmp.path().join("env");
    copy_tree(&fixture("wrapper-client-no-environment"), &project);
    copy_tree(&fixture("wrapper-client-at-import").join(".venv"), &env);
    support::write(&env, "bin/python3", "");
    (tmp, project, env)
}

/// `forklint check --output-format concise --no-cache ARGS .` in `dir`, with `VIRTUAL_ENV`
/// set to `virtual_env` (else unset).
fn check(dir: &Path, args: &[&str], virtual_env: Option<&Path>) -> support::Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
    cmd.args([
        "check",
        "--output-format",
        "concise",
        "--color",
        "never",
        "--no-cache",
    ])
    .args(args)
    .arg(".")
    .current_dir(dir)
    .env_remove("CONDA_PREFIX");
    match virtual_env {
        Some(env) => cmd.env("VIRTUAL_ENV", env),
        None => cmd.env_remove("VIRTUAL_ENV"),
    };
    run_command(cmd)
}

/// Whether the SDK's thread is found: FL101 at `app.py:3` and FL202 at `worker.py:8`.
fn finds_the_sdk_thread(run: &support::Run) -> bool {
    let at = |file, code, line: &str| {
        findings(&run.stdout, file, code)
            .iter()
            .any(|l| l.contains(line))
    };
    at("app.py", "FL101", "app.py:3:") && at("worker.py", "FL202", "worker.py:8:")
}

#[test]
fn the_environment_is_found_by_python_configuration_or_virtual_env() {
    let (_tmp, project, env) = project_and_environment();
    let none = check(&project, &[], None);
    assert_eq!(none.code(), Some(0), "{}", none.describe());
    assert!(!finds_the_sdk_thread(&none), "{}", none.describe());

    let site_packages = env.join("lib/python3.12/site-packages");
    for given in [&env, &env.join("bin/python3"), &site_packages] {
        let run = check(&project, &["--python", given.to_str().unwrap()], None);
        assert_eq!(run.code(), Some(1), "{}", run.describe());
        assert!(
            finds_the_sdk_thread(&run),
            "--python {}: {}",
            given.display(),
            run.describe()
        );
    }

    let active = check(&project, &[], Some(&env));
    assert!(
        finds_the_sdk_thread(&active),
        "VIRTUAL_ENV: {}",
        active.describe()
    );
    let off = check(&project, &["--no-python"], Some(&env));
    assert!(
        !finds_the_sdk_thread(&off),
        "--no-python: {}",
        off.describe()
    );

    // `python` in the configuration, relative to the configuration file.
    support::write(&project, "forklint.toml", "python = \"../env\"\n");
    let configured = check(&project, &[], None);
    assert!(
        finds_the_sdk_thread(&configured),
        "python = ...: {}",
        configured.describe()
    );
}

#[test]
fn a_venv_at_the_project_root_is_found_and_an_explicit_one_wins() {
    let (_tmp, project, env) = project_and_environment();
    copy_tree(&env, &project.join(".venv"));
    let run = check(&project, &[], None);
    assert!(finds_the_sdk_thread(&run), "{}", run.describe());
    // An active environment without the SDK wins over `.venv`: nothing is found.
    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(other.path().join("lib/python3.12/site-packages")).unwrap();
    let run = check(&project, &[], Some(other.path()));
    assert!(!finds_the_sdk_thread(&run), "{}", run.describe());
}

#[test]
fn a_python_without_site_packages_is_an_error_naming_it() {
    let (_tmp, project, env) = project_and_environment();
    let missing = env.join("no-such-env");
    let run = check(&project, &["--python", missing.to_str().unwrap()], None);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(
        run.stderr.contains("no-such-env") && run.stderr.contains("no site-packages"),
        "{}",
        run.describe()
    );
}

#[test]
fn library_frames_are_in_the_chain_and_nothing_is_reported_in_library_files() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    copy_tree(&fixture("wrapper-client-at-import"), &project);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
    cmd.args(["check", "--no-cache", "--output-format", "json", "."])
        .current_dir(&project)
        .env_remove("VIRTUAL_ENV");
    let run = run_command(cmd);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    let findings: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let findings = findings.as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        let file = f["file"].as_str().unwrap();
        assert!(!file.contains(".venv"), "reported in a library file: {f}");
    }
    let fl101 = findings.iter().find(|f| f["code"] == "FL101").unwrap();
    let library_frame = fl101["trace"].as_array().unwrap().iter().find(|step| {
        step["file"]
            .as_str()
            .is_some_and(|p| p.ends_with("site-packages/telemetry_sdk/exporter.py"))
    });
    let frame = library_frame.unwrap_or_else(|| panic!("no library frame in {fl101}"));
    assert_eq!(frame["start"]["row"], 11, "{frame}");
    assert_eq!(frame["message"], "thread started here");
    // The library's files are not counted as checked: one project file.
    let lazy = tmp.path().join("lazy");
    copy_tree(&fixture("neg-lazy-client"), &lazy);
    let run = check(&lazy, &[], None);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(
        run.stdout.contains("All checks passed (1 file checked)."),
        "{}",
        run.describe()
    );
}

#[test]
fn only_the_library_modules_the_imports_reach_are_read() {
    let (_tmp, project, env) = project_and_environment();
    let site_packages = env.join("lib/python3.12/site-packages");
    // A package nothing imports, one file of it not even valid Python, and a stub package.
    support::write(
        &site_packages,
        "unused_pkg/__init__.py",
        "import threading\n",
    );
    support::write(&site_packages, "unused_pkg/a.py", "def f(:\n");
    support::write(&site_packages, "unused_pkg/b.py", "x = 1\n");
    support::write(
        &site_packages,
        "typed_pkg/__init__.pyi",
        "def f() -> int: ...\n",
    );
    let cache = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
    cmd.args(["check", "--output-format", "concise", "--python"])
        .arg(&env)
        .arg("--cache-dir")
        .arg(cache.path())
        .arg(".")
        .current_dir(&project)
        .env("FORKLINT_TIMING", "1")
        .env_remove("VIRTUAL_ENV");
    let run = run_command(cmd);
    assert!(finds_the_sdk_thread(&run), "{}", run.describe());
    // Three project files, and the SDK's `__init__.py` and `exporter.py`: five summaries.
    assert!(
        run.stderr.contains("timing: cache 0 hits, 5 misses"),
        "{}",
        run.describe()
    );
}

/// The environment scripts/test.sh installs from PyPI (`tests/dependencies/requirements.txt`),
/// or `None` (the test skipped) with `FORKLINT_SKIP_EXTERNAL=1`.
fn real_environment() -> Option<PathBuf> {
    let env = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools/deps-venv");
    support::installed(env.join("requirements.txt")).map(|_| env)
}

#[test]
fn a_real_environment_from_the_registry() {
    let Some(env) = real_environment() else {
        return;
    };
    let project = support::project(&[
        (
            "pyproject.toml",
            "[project]\nname = \"svc\"\nversion = \"0\"\n",
        ),
        (
            "analytics.py",
            "from posthog import Posthog\n\
             \n\
             posthog = Posthog(\"phc_key\", host=\"https://eu.posthog.com\")\n",
        ),
        (
            "metrics.py",
            "from prometheus_client import Counter, start_http_server\n\
             \n\
             REQUESTS = Counter(\"requests_total\", \"Requests served\")\n\
             start_http_server(8000)\n",
        ),
        (
            "tracing_setup.py",
            "from opentelemetry.sdk.trace import TracerProvider\n\
             from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter\n\
             \n\
             provider = TracerProvider()\n\
             provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))\n",
        ),
        (
            "server.py",
            "import os\n\
             \n\
             from posthog import Posthog\n\
             \n\
             \n\
             def main():\n\
             \x20   client = Posthog(\"phc_key\")\n\
             \x20   if os.fork() == 0:\n\
             \x20       os._exit(0)\n\
             \x20   return client\n\
             \n\
             \n\
             if __name__ == \"__main__\":\n\
             \x20   main()\n",
        ),
    ]);
    let env_arg = env.to_str().unwrap();
    let run = check(project.path(), &["--python", env_arg], None);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    // posthog's client starts its consumer threads in __init__: found by reading its code,
    // with the library's line named.
    let fl101 = findings(&run.stdout, "analytics.py", "FL101");
    assert!(
        fl101.iter().any(
            |l| l.contains("analytics.py:3:") && l.contains("site-packages/posthog/client.py:")
        ),
        "{}",
        run.describe()
    );
    // The consumer threads are daemons: FL106, carried by the FL101 of the same statement.
    assert!(
        fl101.iter().any(|l| l
            .rsplit_once(" (also ")
            .is_some_and(|(_, codes)| codes.contains("FL106"))),
        "{}",
        run.describe()
    );
    assert!(
        findings(&run.stdout, "server.py", "FL202")
            .iter()
            .any(|l| l.contains("server.py:8:")),
        "{}",
        run.describe()
    );
    // Without the environment, posthog is an unknown name: nothing is found there.
    let without = check(project.path(), &["--no-python"], None);
    assert!(findings(&without.stdout, "analytics.py", "FL101").is_empty());
    assert!(findings(&without.stdout, "server.py", "FL202").is_empty());
    // The knowledge base's entries decide for prometheus_client and opentelemetry, with or
    // without the environment: their installed code is not analysed again.
    for run in [&run, &without] {
        assert_eq!(findings(&run.stdout, "metrics.py", "FL101").len(), 1);
        assert_eq!(findings(&run.stdout, "tracing_setup.py", "FL101").len(), 1);
        assert!(!run.stdout.contains("prometheus_client/exposition.py"));
    }
    // Library paths appear inside messages and chains, never as the reported file.
    assert!(
        run.stdout
            .lines()
            .all(|l| !l.split(':').next().unwrap_or("").contains("site-packages")),
        "{}",
        run.describe()
    );
}
