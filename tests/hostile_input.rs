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
fn non_utf8_is_a_syntax_error_at_its_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "latin.py", b"x = '\xff\xfe'\n");
    write(dir.path(), "good.py", THREAD_AT_IMPORT);
    let out = forklint(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("latin.py:1:6: FL001"), "{stdout}");
    assert!(stdout.contains("good.py:2:1: FL101"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn fifo_and_symlink_loop_never_hang() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pkg/good.py", THREAD_AT_IMPORT);
    // A package: a plain directory's files that nothing imports are scripts.
    write(dir.path(), "pkg/__init__.py", b"");
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
    // A package: a plain directory's files that nothing imports are scripts.
    write(dir.path(), "build/__init__.py", b"");
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

/// Every file under `dir` with its bytes (a symlink with its target), except forklint's own
/// summary cache: the checked code must be left exactly as it was.
fn contents(dir: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".forklint_cache")
        .filter_map(Result::ok)
        .filter_map(|e| {
            let path = e.path().to_path_buf();
            if e.path_is_symlink() {
                let target = std::fs::read_link(&path).ok()?;
                Some((path, target.to_string_lossy().into_owned().into_bytes()))
            } else if e.file_type().is_file() {
                Some((path.clone(), std::fs::read(&path).ok()?))
            } else {
                None
            }
        })
        .collect()
}

/// Concise findings `file:line:col: CODE` (without the message).
fn positions(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (head, rest) = l.split_once(": FL")?;
            Some(format!("{head}: FL{}", &rest[..3]))
        })
        .collect()
}

#[test]
fn nul_bytes_are_a_syntax_error_and_the_message_stays_printable() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "x.py", &[0u8; 4096]);
    write(dir.path(), "good.py", THREAD_AT_IMPORT);
    let before = contents(dir.path());
    let out = forklint(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        positions(&out),
        ["./good.py:2:1: FL101", "./x.py:1:1: FL001"],
        "{out:?}"
    );
    // The parser quotes the NUL it met; it is printed as an escape, never raw.
    assert!(!out.stdout.contains(&0u8), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\\0"));
    assert_eq!(contents(dir.path()), before);
}

#[test]
fn bom_line_endings_form_feeds_and_tabs_keep_exact_positions() {
    let dir = tempfile::tempdir().unwrap();
    let thread = "threading.Thread(target=print).start()";
    write(
        dir.path(),
        "bom_crlf.py",
        format!("\u{feff}import threading\r\n{thread}\r\n").as_bytes(),
    );
    write(
        dir.path(),
        "lone_cr.py",
        format!("import threading\r{thread}\r").as_bytes(),
    );
    write(
        dir.path(),
        "feed_tab.py",
        format!("import threading\n\x0c\nif True:\n\t{thread}\n").as_bytes(),
    );
    let before = contents(dir.path());
    let out = forklint(dir.path(), &["."]);
    assert_eq!(
        positions(&out),
        [
            "./bom_crlf.py:2:1: FL101",
            "./feed_tab.py:4:2: FL101",
            "./lone_cr.py:2:1: FL101",
        ],
        "{out:?}"
    );
    assert_eq!(contents(dir.path()), before);
}

#[test]
fn control_characters_from_the_code_are_escaped_in_annotations() {
    // A string in the analysed code that would colour the terminal, or end a GitHub workflow
    // command and start another, reaches the message quoted: it must arrive escaped.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "esc.py",
        b"import subprocess\nsubprocess.Popen(\"x\x1b[31m\", shell=True)\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(["check", ".", "--output-format", "github"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains('\x1b'), "{stdout:?}");
    assert!(stdout.contains("x\\u{1b}[31m"), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}

#[cfg(unix)]
#[test]
fn symlinked_file_pointing_outside_the_project_is_not_followed_unless_asked() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "evil.py", THREAD_AT_IMPORT);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    write(dir.path(), "good.py", THREAD_AT_IMPORT);
    write(dir.path(), "pkg/inner.py", b"x = 1\n");
    write(dir.path(), "pkg/__init__.py", b"");
    std::os::unix::fs::symlink(outside.path().join("evil.py"), dir.path().join("out.py")).unwrap();
    // A link that stays inside the project is followed.
    std::os::unix::fs::symlink("../good.py", dir.path().join("pkg/alias.py")).unwrap();
    let before = contents(dir.path());
    let out = forklint(dir.path(), &["."]);
    assert_eq!(
        positions(&out),
        ["./good.py:2:1: FL101", "./pkg/alias.py:2:1: FL101"],
        "{out:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("out.py") && stderr.contains("outside the project: not followed"),
        "{stderr}"
    );
    let out = forklint(dir.path(), &[".", "--follow-external-symlinks"]);
    assert!(
        positions(&out).contains(&"./out.py:2:1: FL101".to_string()),
        "{out:?}"
    );
    assert_eq!(contents(dir.path()), before);
}

#[cfg(unix)]
#[test]
fn unreadable_directory_is_reported_and_the_rest_is_analysed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.py", THREAD_AT_IMPORT);
    write(dir.path(), "locked/hidden.py", THREAD_AT_IMPORT);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        dir.path().join("locked"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    // root reads any directory: run as `nobody` then, which the permissions do stop.
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let bin = env!("CARGO_BIN_EXE_forklint");
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", bin]);
        c
    } else {
        Command::new(bin)
    };
    let out = cmd
        .args(["check", ".", "--output-format", "concise", "--isolated"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    std::fs::set_permissions(
        dir.path().join("locked"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    assert_eq!(positions(&out), ["./good.py:2:1: FL101"], "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("locked") && stderr.contains("Permission denied"),
        "{stderr}"
    );
}

#[test]
fn configuration_file_that_is_a_directory_exits_2_naming_it() {
    for name in ["forklint.toml", ".forklint.toml", "pyproject.toml"] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "good.py", THREAD_AT_IMPORT);
        std::fs::create_dir(dir.path().join(name)).unwrap();
        let out = forklint(dir.path(), &["."]);
        assert_eq!(out.status.code(), Some(2), "{name}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("{name}: not a regular file")),
            "{stderr}"
        );
        let out = forklint(dir.path(), &[".", "--config", name]);
        assert_eq!(out.status.code(), Some(2), "--config {name}: {out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
    }
}

#[test]
fn fifty_megabyte_file_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    // 50 MiB of short statements (generated code), with a hazard on its last line.
    let mut text = "x = 1\n".repeat(50 * 1024 * 1024 / 6);
    text.push_str("import threading\nthreading.Thread(target=print).start()\n");
    let lines = text.lines().count();
    write(dir.path(), "huge.py", text.as_bytes());
    write(dir.path(), "good.py", THREAD_AT_IMPORT);
    drop(text);
    let out = forklint(dir.path(), &["."]);
    assert_eq!(
        positions(&out),
        [
            "./good.py:2:1: FL101".to_string(),
            format!("./huge.py:{lines}:1: FL101")
        ],
        "{out:?}"
    );
}

#[test]
fn empty_error_span_before_a_multibyte_character_renders() {
    // Found by the fuzzer (tests/fuzz-regressions/text-empty-span-before-multibyte-char.bin):
    // the parser's zero-width error before `\u{fffd}` made the snippet renderer slice inside
    // the character and panic.
    let input =
        std::fs::read("tests/fuzz-regressions/text-empty-span-before-multibyte-char.bin").unwrap();
    let text = String::from_utf8_lossy(&input).into_owned();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.py", text.as_bytes());
    let out = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(["check", ".", "--color", "never"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("17 |  \u{fffd}  print("), "{stdout}");
    assert!(
        stdout.contains("   |  ^ unindent does not match"),
        "{stdout}"
    );
}
