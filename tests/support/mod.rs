//! Running the built `forklint` binary in tests: every run has a deadline (a hang is a
//! failure, not a stuck test run), and stdout and stderr are drained on their own threads so a
//! large output cannot block the child. Shared by the integration test files.

// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A module that starts a thread on line 2 when it is imported: one FL101.
pub const THREAD_AT_IMPORT: &str = "import threading\nthreading.Thread(target=print).start()\n";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// What a finished run of the binary produced.
pub struct Run {
    pub status: ExitStatus,
    pub raw_stdout: Vec<u8>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// For assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "status: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }

    /// Exited normally with 0 or 1: no panic (101), no signal (stack overflow, OOM kill).
    pub fn assert_finished_cleanly(&self) {
        assert!(
            matches!(self.code(), Some(0 | 1)),
            "expected exit 0 or 1, got {}",
            self.describe()
        );
    }

    /// Asserts exit 2, nothing on stdout, and `file:N:` on stderr; returns N.
    pub fn error_line(&self, file: &str) -> usize {
        assert_eq!(self.code(), Some(2), "{}", self.describe());
        assert!(self.stdout.is_empty(), "{}", self.describe());
        line_number_after(&self.stderr, file)
            .unwrap_or_else(|| panic!("stderr does not name `{file}:N:`: {}", self.describe()))
    }

    pub fn last_stdout_line(&self) -> &str {
        self.stdout.lines().last().unwrap_or("")
    }
}

/// Runs `cmd` to completion, killing it (and failing the test) after [`TIMEOUT`].
pub fn run_command(cmd: Command) -> Run {
    run_command_within(cmd, TIMEOUT)
}

/// [`run_command`] with another deadline, for third-party tools that are slow on a loaded
/// machine (the SARIF multitool validating every fixture's log).
pub fn run_command_within(mut cmd: Command, timeout: Duration) -> Run {
    // The active virtual environment of whoever runs the tests is not the fixtures': forklint
    // would analyse its packages with them (docs/dependencies.md). A test that wants one sets
    // `VIRTUAL_ENV` on the command (then kept) or passes `--python`.
    for var in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
        if std::env::var_os(var).is_some() && !cmd.get_envs().any(|(k, _)| k == var) {
            cmd.env_remove(var);
        }
    }
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot spawn {shown}: {e}"));
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("did not finish within {timeout:?} (killed): {shown}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let raw_stdout = out_reader.join().unwrap();
    let raw_stderr = err_reader.join().unwrap();
    Run {
        status,
        stdout: String::from_utf8_lossy(&raw_stdout).into_owned(),
        stderr: String::from_utf8_lossy(&raw_stderr).into_owned(),
        raw_stdout,
    }
}

/// `forklint ARGS` run in `dir`.
pub fn forklint(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
    cmd.args(args).current_dir(dir).env_remove("NO_COLOR");
    run_command(cmd)
}

/// `forklint check --output-format concise --color never ARGS` run in `dir`.
pub fn concise(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["check", "--output-format", "concise", "--color", "never"];
    all.extend_from_slice(args);
    forklint(dir, &all)
}

/// Writes `contents` to `dir/name`, creating parent directories.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// A throwaway project holding `files` (name, text).
pub fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        write(dir.path(), name, text);
    }
    dir
}

/// Concise lines (`path:line:col: CODE message`) whose path ends with `file` and whose code is
/// `code`.
pub fn findings<'a>(stdout: &'a str, file: &str, code: &str) -> Vec<&'a str> {
    stdout
        .lines()
        .filter(|l| {
            let Some((path, rest)) = l.split_once(':') else {
                return false;
            };
            (path == file || path.ends_with(&format!("/{file}")))
                && rest.contains(&format!(": {code} "))
        })
        .collect()
}

/// `N` in the first `FILE:N:` of `text`.
pub fn line_number_after(text: &str, file: &str) -> Option<usize> {
    let pattern = format!("{file}:");
    text.match_indices(&pattern).find_map(|(i, _)| {
        let rest = &text[i + pattern.len()..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        (digits > 0 && rest[digits..].starts_with(':')).then(|| rest[..digits].parse().unwrap())
    })
}

/// Every fixture project: the directories under `fixtures/` holding a `fixture.toml`, sorted.
pub fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "fixture.toml")
        .map(|e| e.path().parent().unwrap().to_path_buf())
        .collect();
    dirs.sort();
    dirs
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A tool or environment that `scripts/test.sh` installs under `target/test-tools/`: `path`,
/// or `None` (the test skipped) when it is missing and `FORKLINT_SKIP_EXTERNAL=1`; otherwise
/// a missing one fails the test.
pub fn installed(path: PathBuf) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("FORKLINT_SKIP_EXTERNAL").is_some_and(|v| v == "1") {
        eprintln!(
            "FORKLINT_SKIP_EXTERNAL=1: {} missing, test skipped",
            path.display()
        );
        return None;
    }
    panic!(
        "{} is not installed: run `bash scripts/test.sh` (it installs the test tools), or set \
         FORKLINT_SKIP_EXTERNAL=1 to skip this test",
        path.display()
    );
}
