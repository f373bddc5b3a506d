//! The binary on bad input: it reports, skips, and never panics or hangs.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn forklint(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .arg("check")
        .args(args)
        .args(["--color", "never", "--output-format", "concise"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn forklint");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("forklint did not finish within 60 s in {}", dir.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn write(dir: &Path, name: &str, text: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const THREAD_AT_IMPORT: &[u8] = b"import threading\nthreading.Thread(target=print).start()\n";

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "clean.py", b"x = 1\n");
    let out = forklint(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("All checks passed"));

    write(dir.path(), "app.py", THREAD_AT_IMPORT);
    let out = forklint(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("app.py:2:1: FL101"), "{stdout}");
    assert!(stdout.contains("Found 1 hazard in 1 file."), "{stdout}");
    assert_eq!(
        forklint(dir.path(), &[".", "--exit-zero"]).status.code(),
        Some(0)
    );

    let out = forklint(dir.path(), &[".", "--target-version", "py27"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("py314"));
    assert_eq!(
        forklint(dir.path(), &["does-not-exist"]).status.code(),
        Some(2)
    );
    assert_eq!(
        forklint(dir.path(), &["--no-such-flag"]).status.code(),
        Some(2)
    );
}

#[test]
fn syntax_error_is_a_finding_and_the_rest_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.py", b"def f(:\n    pass\n");
    write(dir.path(), "good.py", THREAD_AT_IMPORT);
    let out = forklint(dir.path(), &["."]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("bad.py:1:") && stdout.contains("FL001"),
        "{stdout}"
    );
    assert!(stdout.contains("good.py:2:1: FL101"), "{stdout}");
}

#[test]
fn hundred_thousand_nested_brackets_do_not_overflow() {
    for (open, close) in [("(", ")"), ("[", "]"), ("{", "}")] {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("x = {}1{}\n", open.repeat(100_000), close.repeat(100_000));
        write(dir.path(), "deep.py", text.as_bytes());
        write(dir.path(), "good.py", THREAD_AT_IMPORT);
        let out = forklint(dir.path(), &["."]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("deep.py:1:") && stdout.contains("FL001"),
            "{stdout}"
        );
        assert!(stdout.contains("good.py:2:1: FL101"), "{stdout}");
    }
}

#[test]
fn long_flat_expression_is_valid_and_does_not_crash() {
    let dir = tempfile::tempdir().unwrap();
    let terms = vec!["1"; 50_000].join(" + ");
    write(dir.path(), "long.py", format!("x = {terms}\n").as_bytes());
    let out = forklint(dir.path(), &["."]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn non_utf8_is_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "latin.py", b"x = '\xff\xfe'\n");
    write(dir.path(), "good.py", THREAD_AT_IMPORT);
    let out = forklint(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("skipped") && stderr.contains("UTF-8"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn fifo_and_symlink_loop_never_hang() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pkg/good.py", THREAD_AT_IMPORT);
    std::os::unix::fs::symlink("..", dir.path().join("pkg/loop")).unwrap();
    let fifo_made = Command::new("mkfifo")
        .arg(dir.path().join("x.py"))
        .status()
        .is_ok_and(|s| s.success());
    let out = forklint(dir.path(), &["."]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("good.py:2:1: FL101").count(), 1, "{stdout}");
    if fifo_made {
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
        // Named explicitly, it is still never opened.
        let out = forklint(dir.path(), &["x.py"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
    }
}

#[test]
fn gitignore_and_default_excludes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    write(dir.path(), ".gitignore", b"ignored/\n");
    for f in [
        "ignored/x.py",
        ".venv/x.py",
        "build/x.py",
        "node_modules/x.py",
        "gen_a.py",
    ] {
        write(dir.path(), f, THREAD_AT_IMPORT);
    }
    let out = forklint(dir.path(), &[".", "--extend-exclude", "gen_*.py"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // Named explicitly, an excluded file is checked.
    let out = forklint(dir.path(), &["build/x.py"]);
    assert_eq!(out.status.code(), Some(1));
}
