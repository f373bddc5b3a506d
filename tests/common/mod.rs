//! Helpers shared by the CLI test crates: run the `forklint` binary with a deadline (a hang is
//! a failure, not a stuck test run), draining stdout and stderr on their own threads so a large
//! output cannot block the child; and throwaway projects.

// Each test crate uses its own subset of these helpers.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub const TIMEOUT: Duration = Duration::from_secs(60);

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

    pub fn last_stdout_line(&self) -> &str {
        self.stdout.lines().last().unwrap_or("")
    }
}

/// Runs `cmd` to completion, killing it (and failing the test) after [`TIMEOUT`].
pub fn run_command(mut cmd: Command) -> Run {
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
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("did not finish within {TIMEOUT:?} (killed): {shown}");
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
