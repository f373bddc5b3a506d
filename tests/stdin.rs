//! `forklint check --stdin-filename PATH -`: the buffer on stdin is checked in place of PATH,
//! within PATH's project, as editor plugins that run linters on unsaved buffers (ALE,
//! nvim-lint, flycheck, none-ls) call Ruff.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::write;

fn with_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(args)
        .current_dir(dir)
        .env_remove("VIRTUAL_ENV")
        .env_remove("CONDA_PREFIX")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("forklint runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `main` imports `app`; `util.start()` starts a thread. On disk, `app.py` only imports util.
fn project(dir: &Path) {
    write(dir, "pyproject.toml", "[project]\nname = \"demo\"\n");
    write(dir, "main.py", "import app\n");
    write(dir, "app.py", "import util\n");
    write(
        dir,
        "util.py",
        "import threading\n\n\ndef work():\n    pass\n\n\ndef start():\n    threading.Thread(target=work).start()\n",
    );
}

const ARGS: &[&str] = &[
    "check",
    "--no-cache",
    "--output-format",
    "concise",
    "--stdin-filename",
    "app.py",
    "-",
];

#[test]
fn the_buffer_is_checked_in_place_of_the_file_within_its_project() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path());
    // The buffer calls into util, a module of the project that only exists on disk: the
    // finding needs the whole project, and is located in the buffer.
    let out = with_stdin(tmp.path(), ARGS, "import util\n\nutil.start()\n");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains(": FL")).collect();
    assert_eq!(lines.len(), 1, "only the buffer's findings: {stdout}");
    assert!(lines[0].starts_with("./app.py:3:1: FL101"), "{stdout}");
    // main.py's FL105 (its import of app now starts a thread) is main's, not the buffer's.
    assert!(!stdout.contains("main.py"), "{stdout}");
    // Nothing was written, and the file on disk is unchanged.
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("app.py")).unwrap(),
        "import util\n"
    );
    // The same buffer without the call: clean, although nothing on disk changed.
    let clean = with_stdin(tmp.path(), ARGS, "import util\n");
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean.stdout));
}

#[test]
fn with_fix_the_fixed_buffer_goes_to_stdout_and_the_file_is_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let on_disk = "import os\nimport subprocess\n";
    write(tmp.path(), "job.py", on_disk);
    let buffer = "import os\nimport subprocess\n\n\ndef run():\n    subprocess.Popen([\"ls\"], preexec_fn=os.setsid)\n";
    let out = with_stdin(
        tmp.path(),
        &[
            "check",
            "--no-cache",
            "--fix",
            "--stdin-filename",
            "job.py",
            "-",
        ],
        buffer,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        buffer.replace("preexec_fn=os.setsid", "start_new_session=True")
    );
    assert!(
        text(&out.stderr).contains("Fixed 1 hazard"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("job.py")).unwrap(),
        on_disk
    );
    // Nothing to fix: the buffer comes back as it was.
    let same = with_stdin(
        tmp.path(),
        &["check", "--no-cache", "--fix", "--stdin-filename", "job.py"],
        on_disk,
    );
    assert_eq!(text(&same.stdout), on_disk);
}

#[test]
fn usage_errors_are_exit_2_with_a_message() {
    let tmp = tempfile::tempdir().unwrap();
    project(tmp.path());
    let other_path = with_stdin(
        tmp.path(),
        &["check", "--stdin-filename", "app.py", "main.py"],
        "x = 1\n",
    );
    assert_eq!(other_path.status.code(), Some(2));
    assert!(text(&other_path.stderr).contains("the only path may be `-`"));
    let missing = with_stdin(
        tmp.path(),
        &["check", "--stdin-filename", "nope.py", "-"],
        "",
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("nope.py"),
        "{}",
        text(&missing.stderr)
    );
    let empty = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(["check", "--stdin-filename", "app.py", "-"])
        .current_dir(tmp.path())
        .stdin(Stdio::from(std::fs::File::open("/dev/null").unwrap()))
        .output()
        .unwrap();
    // An empty buffer is a valid (empty) module.
    assert_eq!(empty.status.code(), Some(0), "{}", text(&empty.stderr));
    let not_utf8 = {
        let mut child = Command::new(env!("CARGO_BIN_EXE_forklint"))
            .args(["check", "--stdin-filename", "app.py", "-"])
            .current_dir(tmp.path())
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"x = '\xff'\n")
            .unwrap();
        child.wait_with_output().unwrap()
    };
    assert_eq!(not_utf8.status.code(), Some(2));
    assert!(text(&not_utf8.stderr).contains("not UTF-8"));
}
