//! The `forklint` binary end to end: exit codes, output formats, discovery, hostile input,
//! the `rule`/`rules` commands and `--knowledge` files.
//!
//! Every run has a deadline (a hang is a failure, not a stuck test run), and stdout and stderr
//! are drained on their own threads so a large output cannot block the child (`support/`).

mod support;

use std::path::Path;
use std::process::Command;

use support::*;
use tempfile::TempDir;

/// The text-format block of the first finding with `code`, up to the next finding or summary.
fn text_block<'a>(stdout: &'a str, code: &str) -> &'a str {
    let start = stdout
        .find(&format!("[{code} "))
        .unwrap_or_else(|| panic!("no {code} in:\n{stdout}"));
    let rest = &stdout[start..];
    let end = ["\nwarning[", "\nerror[", "\ninfo[", "\nFound "]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

// ---------------------------------------------------------------------------------------------
// 1. Exit codes and the summary line
// ---------------------------------------------------------------------------------------------

#[test]
fn clean_project_exits_0_with_all_checks_passed() {
    let dir = project(&[("clean.py", "x = 1\n"), ("pkg/__init__.py", "")]);
    let run = concise(dir.path(), &[]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert_eq!(
        run.last_stdout_line(),
        "All checks passed (2 files checked).",
        "{}",
        run.describe()
    );
}

#[test]
fn one_finding_exits_1_with_concise_line_and_singular_summary() {
    let dir = project(&[("app.py", THREAD_AT_IMPORT)]);
    let run = concise(dir.path(), &[]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    let lines = findings(&run.stdout, "app.py", "FL101");
    assert_eq!(lines.len(), 1, "{}", run.describe());
    assert!(
        lines[0].contains("app.py:2:1: FL101 "),
        "{}",
        run.describe()
    );
    assert_eq!(run.last_stdout_line(), "Found 1 hazard in 1 file.");
    // Exactly one finding line and the summary: nothing else on stdout.
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.describe());

    // Named explicitly, the path is printed as given.
    let run = concise(dir.path(), &["app.py"]);
    assert!(
        run.stdout.starts_with("app.py:2:1: FL101 "),
        "{}",
        run.describe()
    );
}

#[test]
fn exit_zero_flag_exits_0_but_still_reports() {
    let dir = project(&[("app.py", THREAD_AT_IMPORT), ("bad.py", "def f(:\n")]);
    let run = concise(dir.path(), &["--exit-zero"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert_eq!(findings(&run.stdout, "app.py", "FL101").len(), 1);
    assert_eq!(findings(&run.stdout, "bad.py", "FL001").len(), 1);
    assert!(
        run.stdout.contains("\nFound 2 hazards in 2 files.\n"),
        "{}",
        run.describe()
    );
}

#[test]
fn bad_target_version_exits_2_naming_the_allowed_versions() {
    let dir = project(&[("clean.py", "x = 1\n")]);
    let run = concise(dir.path(), &["--target-version", "py27"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    for v in ["py38", "py312", "py314"] {
        assert!(run.stderr.contains(v), "{v} missing: {}", run.describe());
    }
    assert!(run.stdout.is_empty(), "{}", run.describe());

    // The accepted spellings.
    for ok in ["py38", "py314", "3.12", "313"] {
        let run = concise(dir.path(), &["--target-version", ok]);
        assert_eq!(
            run.code(),
            Some(0),
            "--target-version {ok}: {}",
            run.describe()
        );
    }
}

#[test]
fn missing_path_exits_2() {
    let dir = project(&[("clean.py", "x = 1\n")]);
    let run = concise(dir.path(), &["does_not_exist.py"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(
        run.stderr.contains("does_not_exist.py"),
        "{}",
        run.describe()
    );
    // Even beside a path that does exist.
    let run = concise(dir.path(), &["clean.py", "nope/"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let dir = project(&[("clean.py", "x = 1\n")]);
    let run = concise(dir.path(), &["--no-such-flag"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(run.stderr.contains("--no-such-flag"), "{}", run.describe());

    let run = concise(dir.path(), &["--color", "sometimes"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());

    let run = forklint(dir.path(), &[]);
    assert_eq!(run.code(), Some(2), "no subcommand: {}", run.describe());

    let run = forklint(dir.path(), &["frobnicate"]);
    assert_eq!(
        run.code(),
        Some(2),
        "unknown subcommand: {}",
        run.describe()
    );

    let run = forklint(dir.path(), &["--help"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(run.stdout.contains("check"), "{}", run.describe());

    for flag in ["--version", "-V"] {
        let run = forklint(dir.path(), &[flag]);
        assert_eq!(run.code(), Some(0), "{}", run.describe());
        assert_eq!(
            run.stdout,
            format!("forklint {}\n", env!("CARGO_PKG_VERSION")),
            "{}",
            run.describe()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2. The text format, colour, --quiet
// ---------------------------------------------------------------------------------------------

/// The issue's example: `main` imports `app`, whose line 10 calls `util.start_worker()`, which
/// starts a thread on `util.py` line 4.
fn issue_example() -> TempDir {
    let app = format!(
        "{}import util\nutil.start_worker()\n",
        (1..=8)
            .map(|i| format!("# comment {i}\n"))
            .collect::<String>()
    );
    assert_eq!(app.lines().nth(9), Some("util.start_worker()"));
    project(&[
        ("main.py", "import app\n"),
        ("app.py", &app),
        (
            "util.py",
            "import threading\n\ndef start_worker():\n    threading.Thread(target=print).start()\n",
        ),
    ])
}

#[test]
fn text_format_shows_the_chain_and_a_help_line() {
    let dir = issue_example();
    let run = forklint(dir.path(), &["check", "--color", "never"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(
        run.stdout.contains("FL101 import-time-thread-start"),
        "{}",
        run.describe()
    );
    let block = text_block(&run.stdout, "FL101");
    for needle in ["app.py:10", "util.py:4", "main.py:1", "help:"] {
        assert!(block.contains(needle), "`{needle}` missing from:\n{block}");
    }
    // The primary location (`-->`) is the top-level call in app.py; the others follow.
    let primary = block
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))
        .unwrap_or_else(|| panic!("no `-->` line in:\n{block}"));
    assert!(primary.ends_with("app.py:10:1"), "{block}");
    assert!(block.contains("\n10 | util.start_worker()"), "{block}");
    // main.py's import of app is no FL105 (one program of loose modules: the FL101 above,
    // whose chain shows the import, is the finding for the cause).
    let last = run.last_stdout_line();
    assert!(
        last.starts_with("Found ") && last.ends_with(" in 1 file."),
        "last line: {last:?}\n{}",
        run.describe()
    );
}

#[test]
fn color_always_uses_escapes_never_and_auto_do_not() {
    let dir = issue_example();
    let always = forklint(dir.path(), &["check", "--color", "always"]);
    assert_eq!(always.code(), Some(1));
    assert!(always.stdout.contains("\x1b["), "{}", always.describe());

    let never = forklint(dir.path(), &["check", "--color", "never"]);
    assert_eq!(never.code(), Some(1));
    assert!(!never.stdout.contains('\x1b'), "{}", never.describe());

    // Tests run with stdout on a pipe, not a terminal: auto means no colour.
    let auto = forklint(dir.path(), &["check"]);
    assert_eq!(auto.code(), Some(1));
    assert!(!auto.stdout.contains('\x1b'), "{}", auto.describe());
    assert!(!auto.stderr.contains('\x1b'), "{}", auto.describe());
    assert_eq!(auto.stdout, never.stdout);

    // Colour changes the decoration, not the words.
    let strip = |s: &str| {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    assert_eq!(strip(&always.stdout), never.stdout);
}

#[test]
fn quiet_drops_the_summary_and_skip_warnings_but_not_findings() {
    let dir = project(&[("app.py", THREAD_AT_IMPORT)]);
    // A code page Python has and forklint cannot decode: skipped with a warning.
    write(
        dir.path(),
        "dos.py",
        b"# -*- coding: cp437 -*-\nx = '\x82'\n",
    );
    let loud = concise(dir.path(), &[]);
    assert!(loud.stderr.contains("skipped"), "{}", loud.describe());
    assert!(
        loud.stdout.contains("Found 1 hazard"),
        "{}",
        loud.describe()
    );

    let quiet = concise(dir.path(), &["--quiet"]);
    assert_eq!(quiet.code(), Some(1), "{}", quiet.describe());
    assert_eq!(findings(&quiet.stdout, "app.py", "FL101").len(), 1);
    assert_eq!(quiet.stdout.lines().count(), 1, "{}", quiet.describe());
    assert!(!quiet.stdout.contains("Found"), "{}", quiet.describe());
    assert!(!quiet.stderr.contains("skipped"), "{}", quiet.describe());

    let clean = project(&[("clean.py", "x = 1\n")]);
    let run = concise(clean.path(), &["-q"]);
    assert_eq!(run.code(), Some(0));
    assert!(run.stdout.is_empty(), "{}", run.describe());
}

// ---------------------------------------------------------------------------------------------
// 3. Syntax errors
// ---------------------------------------------------------------------------------------------

#[test]
fn syntax_error_is_fl001_and_the_rest_is_still_analysed() {
    let dir = project(&[("bad.py", "def f(:\n"), ("good.py", THREAD_AT_IMPORT)]);
    let run = concise(dir.path(), &[]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    let bad = findings(&run.stdout, "bad.py", "FL001");
    assert_eq!(bad.len(), 1, "{}", run.describe());
    assert_eq!(line_number_after(bad[0], "bad.py"), Some(1), "{}", bad[0]);
    let good = findings(&run.stdout, "good.py", "FL101");
    assert_eq!(good.len(), 1, "{}", run.describe());
    assert!(good[0].contains("good.py:2:1: FL101"), "{}", good[0]);
    assert!(
        run.stdout.contains("\nFound 2 hazards in 2 files.\n"),
        "{}",
        run.describe()
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Deep nesting
// ---------------------------------------------------------------------------------------------

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!("x = {}1{}\n", open.repeat(depth), close.repeat(depth))
}

#[test]
fn hundred_thousand_nested_parentheses_are_fl001_not_a_crash() {
    let dir = project(&[("deep.py", &nested("(", ")", 100_000))]);
    let run = concise(dir.path(), &[]);
    run.assert_finished_cleanly();
    assert_eq!(run.code(), Some(1));
    let lines = findings(&run.stdout, "deep.py", "FL001");
    assert_eq!(lines.len(), 1, "{}", run.describe());
    assert_eq!(line_number_after(lines[0], "deep.py"), Some(1));
}

#[test]
fn hundred_thousand_nested_brackets_are_fl001_not_a_crash() {
    let dir = project(&[
        ("deep.py", &nested("[", "]", 100_000)),
        ("good.py", THREAD_AT_IMPORT),
    ]);
    let run = concise(dir.path(), &[]);
    run.assert_finished_cleanly();
    assert_eq!(
        findings(&run.stdout, "deep.py", "FL001").len(),
        1,
        "{}",
        run.describe()
    );
    assert_eq!(
        findings(&run.stdout, "good.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );
}

#[test]
fn nesting_limit_matches_cpython() {
    // CPython's tokenizer accepts 200 nested brackets and refuses 201.
    let dir = project(&[
        ("ok200.py", &nested("(", ")", 200)),
        (
            "mixed.py",
            &format!("x = {}1{}\n", "([{".repeat(66), "}])".repeat(66)),
        ),
        ("too_deep.py", &nested("{", "}", 201)),
    ]);
    let run = concise(dir.path(), &[]);
    run.assert_finished_cleanly();
    assert!(
        findings(&run.stdout, "ok200.py", "FL001").is_empty(),
        "{}",
        run.describe()
    );
    assert!(
        findings(&run.stdout, "mixed.py", "FL001").is_empty(),
        "{}",
        run.describe()
    );
    assert_eq!(
        findings(&run.stdout, "too_deep.py", "FL001").len(),
        1,
        "{}",
        run.describe()
    );
}

#[test]
fn long_left_leaning_sum_does_not_crash() {
    let expr = vec!["1"; 50_000].join(" + ");
    let dir = project(&[("sum.py", &format!("x = {expr}\n"))]);
    let run = concise(dir.path(), &[]);
    run.assert_finished_cleanly();
    // Also as one of several files (the work then runs on the worker pool).
    write(dir.path(), "other.py", "y = 2\n");
    concise(dir.path(), &[]).assert_finished_cleanly();
}

/// Nesting that is not made of brackets: the bracket bound does not see it.
#[test]
fn deep_non_bracket_nesting_does_not_crash() {
    let n = 100_000;
    let cases = [
        ("unary.py", format!("x = {}1\n", "-".repeat(n))),
        ("nots.py", format!("x = {}y\n", "not ".repeat(n))),
        ("attrs.py", format!("x = y{}\n", ".a".repeat(n))),
        ("calls.py", format!("x = y{}\n", "()".repeat(n))),
        ("subscripts.py", format!("x = y{}\n", "[0]".repeat(n))),
        ("power.py", format!("x = {}2\n", "2 ** ".repeat(n))),
        ("ternary.py", format!("x = {}1\n", "1 if y else ".repeat(n))),
        (
            "awaits.py",
            format!("async def f():\n    x = {}y\n", "await ".repeat(n)),
        ),
    ];
    let mut failures = Vec::new();
    for (name, text) in &cases {
        let dir = project(&[(name, text)]);
        let run = concise(dir.path(), &[]);
        if !matches!(run.code(), Some(0 | 1)) {
            failures.push(format!("{name}: {:?} {}", run.status, run.stderr.trim()));
        }
    }
    assert!(failures.is_empty(), "crashed:\n{}", failures.join("\n"));
}

/// The parser's stack need grows with one statement's length; the cap keeps it inside the
/// worker stack. Just under the cap must be analysed without a crash, over it is reported.
#[test]
fn statement_length_cap_bounds_parser_stack() {
    let cap = forklint::summary::MAX_STATEMENT_BYTES;
    let under = format!("x = {}1\n", "-".repeat(cap - 16));
    let dir = project(&[("under.py", &under)]);
    let run = concise(dir.path(), &[]);
    run.assert_finished_cleanly();
    assert!(
        run.stderr.contains("nested more than 4000 levels deep"),
        "{}",
        run.describe()
    );
    let over = format!("x = {}1\n", "-".repeat(cap + 16));
    let dir = project(&[("over.py", &over), ("app.py", THREAD_AT_IMPORT)]);
    let run = concise(dir.path(), &[]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(
        run.stderr
            .contains("over.py:1:1: a single statement longer than 1 MiB"),
        "{}",
        run.describe()
    );
    assert!(run.stdout.contains("app.py"), "{}", run.describe());
}

#[cfg(unix)]
#[test]
fn deeply_nested_lambdas_use_bounded_memory() {
    let dir = project(&[
        ("deep.py", &format!("x = {}1\n", "lambda: ".repeat(20_000))),
        ("other.py", "y = 1\n"),
    ]);
    // A 160 kB file must not need more than 2 GiB of address space (two 192 MiB worker stacks
    // fit easily). Without the bound on name prefixes this took 1.2 GB per 8,000 levels.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -v 2097152 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_forklint"))
        .args(["check", "--output-format", "concise", "--color", "never"])
        .env("RAYON_NUM_THREADS", "2")
        .current_dir(dir.path());
    run_command(cmd).assert_finished_cleanly();
}

// ---------------------------------------------------------------------------------------------
// 5–8. Files that cannot be read, and file-system traps
// ---------------------------------------------------------------------------------------------

#[test]
fn a_declared_encoding_is_honoured_and_a_file_invalid_in_it_is_fl001() {
    // PEP 263: `# -*- coding: big5 -*-` on the first line; the comment says "中文" in big5.
    let dir = project(&[]);
    let big5: &[u8] = b"# -*- coding: big5 -*-\n# \xa4\xa4\xa4\xe5\nimport threading\n\nthreading.Thread(target=print).start()\n";
    write(dir.path(), "big5.py", big5);
    // Latin-1 declared on the second line, after a shebang.
    write(
        dir.path(),
        "latin.py",
        b"#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :\n# caf\xe9\nimport subprocess\nsubprocess.run(['true'])\n",
    );
    // Declared Shift_JIS, but a lead byte is followed by an invalid trail byte: a
    // SyntaxError for Python, so FL001 at that byte, and nothing of the file is analysed.
    write(
        dir.path(),
        "broken.py",
        b"# coding: shift_jis\nx = '\x82'\nimport threading\nthreading.Thread(target=print).start()\n",
    );
    // An encoding Python does not know either.
    write(
        dir.path(),
        "unknown.py",
        b"# coding: klingon\nimport threading\nthreading.Thread(target=print).start()\n",
    );
    let run = concise(dir.path(), &["--select", "FL001,FL101,FL103"]);
    assert_eq!(
        findings(&run.stdout, "big5.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );
    // The shebang makes latin.py a script: its subprocess is its main flow, not an import.
    assert!(!run.stdout.contains("latin.py"), "{}", run.describe());
    // Nothing is skipped.
    assert!(!run.stderr.contains("skipped"), "{}", run.describe());
    one_fl001(
        &run,
        "broken.py:2:6",
        "'shift_jis' codec can't decode byte 0x82",
    );
    assert!(
        findings(&run.stdout, "broken.py", "FL101").is_empty(),
        "{}",
        run.describe()
    );
    one_fl001(&run, "unknown.py:1:11", "unknown encoding: klingon");

    // A fix never rewrites a file that is not UTF-8 (it would have to be encoded back), nor
    // one that is not valid in its encoding.
    for name in ["big5.py", "broken.py"] {
        let before = std::fs::read(dir.path().join(name)).unwrap();
        let run = concise(dir.path(), &["--fix", "--unsafe-fixes", name]);
        assert_ne!(run.code(), Some(101), "panicked: {}", run.describe());
        assert_eq!(std::fs::read(dir.path().join(name)).unwrap(), before);
    }
}

/// The run's one FL001 in the file of `at` (`FILE:LINE:COL`), which says `says`.
fn one_fl001(run: &Run, at: &str, says: &str) {
    let file = at.split(':').next().unwrap();
    let found = findings(&run.stdout, file, "FL001");
    assert_eq!(found.len(), 1, "{}", run.describe());
    let (line, says_it) = (found[0], found[0].contains(says));
    assert!(line.contains(&format!("{at}: FL001")) && says_it, "{line}");
}

#[test]
fn non_utf8_file_is_fl001_at_its_bad_byte_and_the_rest_is_checked() {
    let dir = project(&[("good.py", THREAD_AT_IMPORT)]);
    write(dir.path(), "binary.py", b"x = '\xff\xfe'\n");
    let run = concise(dir.path(), &[]);
    assert_ne!(run.code(), Some(101), "panicked: {}", run.describe());
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(!run.stderr.contains("binary.py"), "{}", run.describe());
    one_fl001(
        &run,
        "binary.py:1:6",
        "Non-UTF-8 code starting with '\\xff'",
    );
    assert_eq!(
        findings(&run.stdout, "good.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );

    // Named explicitly: the same finding, not a crash.
    let run = concise(dir.path(), &["binary.py"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(
        run.stdout.contains("binary.py:1:6: FL001"),
        "{}",
        run.describe()
    );
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_skipped_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;

    let dir = project(&[
        ("good.py", THREAD_AT_IMPORT),
        ("secret.py", THREAD_AT_IMPORT),
    ]);
    let secret = dir.path().join("secret.py");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&secret).is_ok() {
        // Running as root (or with CAP_DAC_OVERRIDE): mode 000 does not stop reads, so there
        // is nothing to observe here.
        return;
    }
    let run = concise(dir.path(), &[]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("warning: skipped ") && l.contains("secret.py")),
        "{}",
        run.describe()
    );
    assert!(!run.stdout.contains("secret.py"), "{}", run.describe());
    assert_eq!(
        findings(&run.stdout, "good.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
}

/// Creates a FIFO at `path`; false when `mkfifo` is not available.
#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    match Command::new("mkfifo").arg(path).status() {
        Ok(status) => {
            assert!(status.success(), "mkfifo {} failed", path.display());
            true
        }
        Err(_) => false,
    }
}

#[cfg(unix)]
#[test]
fn fifo_in_a_directory_is_skipped_not_read() {
    let dir = project(&[("good.py", THREAD_AT_IMPORT)]);
    if !mkfifo(&dir.path().join("x.py")) {
        return; // No mkfifo on this system.
    }
    let run = concise(dir.path(), &[]); // Hangs forever if the FIFO is opened.
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(
        run.stderr.lines().any(|l| l.contains("skipped")
            && l.contains("x.py")
            && l.contains("not a regular file")),
        "{}",
        run.describe()
    );
    assert_eq!(
        findings(&run.stdout, "good.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );
}

#[cfg(unix)]
#[test]
fn fifo_named_on_the_command_line_is_skipped_not_read() {
    let dir = project(&[("good.py", THREAD_AT_IMPORT)]);
    if !mkfifo(&dir.path().join("x.py")) {
        return;
    }
    let run = concise(dir.path(), &["x.py"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(
        run.stderr.contains("skipped x.py: not a regular file"),
        "{}",
        run.describe()
    );

    // And beside a real file.
    let run = concise(dir.path(), &["x.py", "good.py"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert_eq!(findings(&run.stdout, "good.py", "FL101").len(), 1);
}

#[cfg(unix)]
#[test]
fn symlink_loop_terminates_and_files_are_checked_once() {
    let dir = project(&[("real.py", THREAD_AT_IMPORT), ("a/inner.py", "x = 1\n")]);
    std::os::unix::fs::symlink("..", dir.path().join("a/link")).unwrap();
    std::os::unix::fs::symlink("loop.py", dir.path().join("loop.py")).unwrap();
    let run = concise(dir.path(), &[]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert_eq!(
        run.stdout.matches("real.py:2:1: FL101").count(),
        1,
        "{}",
        run.describe()
    );
    assert_eq!(run.last_stdout_line(), "Found 1 hazard in 1 file.");
    // The self-referencing `loop.py` is reported, not followed forever.
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("skipped") && l.contains("loop.py")),
        "{}",
        run.describe()
    );

    // Walking from inside the loop, through the link, must terminate too.
    let run = concise(&dir.path().join("a"), &["."]);
    run.assert_finished_cleanly();
}

// ---------------------------------------------------------------------------------------------
// 9. Discovery
// ---------------------------------------------------------------------------------------------

#[test]
fn gitignored_directories_are_not_checked() {
    let dir = project(&[
        (".gitignore", "ignored/\n*_generated.py\n"),
        ("ignored/x.py", THREAD_AT_IMPORT),
        ("api_generated.py", THREAD_AT_IMPORT),
        ("kept.py", THREAD_AT_IMPORT),
    ]);
    // Packages: a file in a plain directory that nothing imports is a script
    // (docs/import-time.md), and these files are meant to be imported.
    write(dir.path(), "ignored/__init__.py", "");
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let run = concise(dir.path(), &[]);
    assert!(!run.stdout.contains("ignored/x.py"), "{}", run.describe());
    assert!(
        !run.stdout.contains("api_generated.py"),
        "{}",
        run.describe()
    );
    assert_eq!(
        findings(&run.stdout, "kept.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );
    assert_eq!(run.last_stdout_line(), "Found 1 hazard in 1 file.");

    // A .gitignore above the checked directory (up to the repository root) applies too.
    write(dir.path(), "sub/ignored/y.py", THREAD_AT_IMPORT);
    write(dir.path(), "sub/z_generated.py", THREAD_AT_IMPORT);
    write(dir.path(), "sub/ok.py", THREAD_AT_IMPORT);
    write(dir.path(), "sub/__init__.py", "");
    write(dir.path(), "sub/.gitignore", "");
    let run = concise(dir.path(), &["sub"]);
    assert!(!run.stdout.contains("y.py"), "{}", run.describe());
    assert!(!run.stdout.contains("z_generated.py"), "{}", run.describe());
    assert_eq!(
        findings(&run.stdout, "sub/ok.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );
}

#[test]
fn default_excludes_are_not_checked() {
    let dir = project(&[
        (".venv/x.py", THREAD_AT_IMPORT),
        ("venv/lib/x.py", THREAD_AT_IMPORT),
        ("build/x.py", THREAD_AT_IMPORT),
        ("node_modules/x.py", THREAD_AT_IMPORT),
        ("pkg/__pycache__/x.py", THREAD_AT_IMPORT),
        ("app.py", THREAD_AT_IMPORT),
    ]);
    let run = concise(dir.path(), &[]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    for excluded in [".venv/", "venv/", "build/", "node_modules/", "__pycache__/"] {
        assert!(
            !run.stdout.contains(excluded),
            "{excluded}: {}",
            run.describe()
        );
    }
    assert_eq!(
        run.last_stdout_line(),
        "Found 1 hazard in 1 file.",
        "{}",
        run.describe()
    );
}

#[test]
fn extend_exclude_adds_to_the_defaults() {
    let dir = project(&[
        ("gen_a.py", THREAD_AT_IMPORT),
        ("sub/gen_b.py", THREAD_AT_IMPORT),
        ("build/x.py", THREAD_AT_IMPORT),
        ("app.py", THREAD_AT_IMPORT),
    ]);
    let run = concise(dir.path(), &["--extend-exclude", "gen_*.py"]);
    assert!(!run.stdout.contains("gen_a.py"), "{}", run.describe());
    assert!(!run.stdout.contains("gen_b.py"), "{}", run.describe());
    assert!(
        !run.stdout.contains("build/x.py"),
        "defaults kept: {}",
        run.describe()
    );
    assert_eq!(
        findings(&run.stdout, "app.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );
    assert_eq!(run.last_stdout_line(), "Found 1 hazard in 1 file.");

    // Repeatable.
    let run = concise(
        dir.path(),
        &["--extend-exclude", "gen_*.py", "--extend-exclude", "app.py"],
    );
    assert_eq!(run.code(), Some(0), "{}", run.describe());
}

#[test]
fn an_explicitly_named_excluded_file_is_checked() {
    let dir = project(&[
        ("build/x.py", THREAD_AT_IMPORT),
        ("gen_a.py", THREAD_AT_IMPORT),
    ]);
    let run = concise(dir.path(), &["build/x.py"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(
        run.stdout.contains("build/x.py:2:1: FL101"),
        "{}",
        run.describe()
    );

    let run = concise(dir.path(), &["--extend-exclude", "gen_*.py", "gen_a.py"]);
    assert!(
        run.stdout.contains("gen_a.py:2:1: FL101"),
        "{}",
        run.describe()
    );
}

#[test]
fn exclude_replaces_the_defaults() {
    let dir = project(&[
        ("build/__init__.py", ""),
        ("build/x.py", THREAD_AT_IMPORT),
        ("app.py", THREAD_AT_IMPORT),
    ]);
    let run = concise(dir.path(), &["--exclude", "nothing_matches"]);
    assert_eq!(
        findings(&run.stdout, "build/x.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );
    assert_eq!(
        findings(&run.stdout, "app.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );

    let run = concise(dir.path(), &["--exclude", "app.py"]);
    assert!(!run.stdout.contains("app.py"), "{}", run.describe());
    assert!(run.stdout.contains("build/x.py"), "{}", run.describe());
}

#[test]
fn invalid_exclude_glob_exits_2() {
    let dir = project(&[("app.py", "x = 1\n")]);
    let run = concise(dir.path(), &["--extend-exclude", "[unclosed"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(run.stderr.contains("[unclosed"), "{}", run.describe());
}

// ---------------------------------------------------------------------------------------------
// 10. `rule` and `rules`
// ---------------------------------------------------------------------------------------------

#[test]
fn rule_prints_the_documentation() {
    let dir = tempfile::tempdir().unwrap();
    let run = forklint(dir.path(), &["rule", "FL101"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(run.stdout.contains("## What it does"), "{}", run.describe());
    assert!(
        run.stdout.contains("import-time-thread-start"),
        "{}",
        run.describe()
    );

    // By name too.
    let by_name = forklint(dir.path(), &["rule", "import-time-thread-start"]);
    assert_eq!(by_name.code(), Some(0), "{}", by_name.describe());
    assert_eq!(by_name.stdout, run.stdout);
}

#[test]
fn unknown_rule_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let run = forklint(dir.path(), &["rule", "FL999"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(run.stderr.contains("FL999"), "{}", run.describe());
    assert!(run.stdout.is_empty(), "{}", run.describe());
}

#[test]
fn rules_lists_every_rule() {
    let dir = tempfile::tempdir().unwrap();
    let run = forklint(dir.path(), &["rules"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    for code in [
        "FL001", "FL101", "FL102", "FL103", "FL104", "FL105", "FL106", "FL107",
    ] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.starts_with(&format!("{code} "))),
            "{code} missing: {}",
            run.describe()
        );
    }
    // Every listed rule has documentation (the first line is the table's header).
    for line in run.stdout.lines().skip(1) {
        let code = line.split_whitespace().next().unwrap();
        let doc = forklint(dir.path(), &["rule", code]);
        assert_eq!(doc.code(), Some(0), "rule {code}: {}", doc.describe());
        assert!(doc.stdout.contains("## What it does"), "rule {code}");
    }
}

// ---------------------------------------------------------------------------------------------
// 11. --knowledge
// ---------------------------------------------------------------------------------------------

const MYLIB_KNOWLEDGE: &str =
    "[[api]]\nname = \"mylib.start_background\"\neffects = [\"thread-start\"]\n";

#[test]
fn knowledge_file_teaches_a_new_api() {
    let dir = project(&[
        ("app.py", "import mylib\nmylib.start_background()\n"),
        ("mylib.toml", MYLIB_KNOWLEDGE),
    ]);
    let without = concise(dir.path(), &["app.py"]);
    assert_eq!(without.code(), Some(0), "{}", without.describe());

    let with = concise(dir.path(), &["--knowledge", "mylib.toml", "app.py"]);
    assert_eq!(with.code(), Some(1), "{}", with.describe());
    let lines = findings(&with.stdout, "app.py", "FL101");
    assert_eq!(lines.len(), 1, "{}", with.describe());
    assert!(lines[0].starts_with("app.py:2:1: FL101 "), "{}", lines[0]);
}

/// Runs with `--knowledge NAME` (holding `toml`) and asserts exit 2 and `NAME:N:` on stderr;
/// returns N.
fn broken_knowledge(name: &str, toml: &str) -> usize {
    let dir = project(&[("app.py", "x = 1\n"), (name, toml)]);
    concise(dir.path(), &["--knowledge", name, "app.py"]).error_line(name)
}

#[test]
fn knowledge_file_with_a_toml_syntax_error_exits_2_naming_file_and_line() {
    let line = broken_knowledge(
        "syntax.toml",
        "[[api]]\nname = \"mylib.x\"\neffects = [\"thread-start\"\n",
    );
    assert!((3..=4).contains(&line), "line {line}");
    let line = broken_knowledge(
        "syntax2.toml",
        "[[api]]\nname = \"mylib.x\"\neffects = [\"thread-start\"]\nx = = 1\n",
    );
    assert_eq!(line, 4);
}

#[test]
fn knowledge_file_with_an_unknown_key_exits_2_naming_file_and_line() {
    let dir = project(&[
        ("app.py", "x = 1\n"),
        (
            "unknown.toml",
            &format!("{MYLIB_KNOWLEDGE}  colour = \"red\"\n"),
        ),
    ]);
    let run = concise(dir.path(), &["--knowledge", "unknown.toml", "app.py"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert_eq!(
        line_number_after(&run.stderr, "unknown.toml"),
        Some(4),
        "{}",
        run.describe()
    );
    assert!(run.stderr.contains("colour"), "{}", run.describe());
}

#[test]
fn knowledge_error_at_the_start_of_a_line_names_that_line() {
    assert_eq!(
        broken_knowledge(
            "unknown.toml",
            &format!("{MYLIB_KNOWLEDGE}colour = \"red\"\n")
        ),
        4
    );
    assert_eq!(
        broken_knowledge("syntax.toml", &format!("{MYLIB_KNOWLEDGE}= 1\n")),
        4
    );
}

#[test]
fn missing_knowledge_file_exits_2() {
    let dir = project(&[("app.py", "x = 1\n")]);
    let run = concise(dir.path(), &["--knowledge", "absent.toml"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(run.stderr.contains("absent.toml"), "{}", run.describe());
}

// ---------------------------------------------------------------------------------------------
// 12. Determinism
// ---------------------------------------------------------------------------------------------

#[test]
fn output_is_byte_identical_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut main = String::new();
    for i in 0..24 {
        let name = format!("pkg/mod_{i:02}.py");
        let text = match i % 4 {
            0 => THREAD_AT_IMPORT.to_string(),
            1 => format!("import pkg.mod_{:02}\n", i - 1),
            2 => "import subprocess\nsubprocess.run(['true'])\n".to_string(),
            _ => "def f(:\n".to_string(),
        };
        write(dir.path(), &name, text);
        main.push_str(&format!("import pkg.mod_{i:02}\n"));
    }
    write(dir.path(), "pkg/__init__.py", "");
    write(dir.path(), "main.py", main);

    for args in [
        &["check", "--color", "never"][..],
        &["check", "--color", "always"][..],
        &["check", "--output-format", "concise"][..],
    ] {
        let first = forklint(dir.path(), args);
        assert_eq!(first.code(), Some(1), "{}", first.describe());
        assert!(
            first.stdout.matches("FL101").count() >= 6,
            "expected several findings: {}",
            first.describe()
        );
        for _ in 0..3 {
            let again = forklint(dir.path(), args);
            assert!(
                again.raw_stdout == first.raw_stdout,
                "{args:?}: output differs between runs:\n{}\n=== vs ===\n{}",
                first.stdout,
                again.stdout
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Suppressions
// ---------------------------------------------------------------------------------------------

/// The findings (`LINE CODE`) of `text` checked as the module `app.py`.
fn suppressed_run(text: &str) -> (Vec<String>, Run) {
    let dir = project(&[("app.py", text)]);
    let run = concise(dir.path(), &[]);
    run.assert_finished_cleanly();
    let lines = run
        .stdout
        .lines()
        .filter(|l| l.contains(": FL"))
        .map(|l| {
            // `app.py:LINE:COL: CODE message` → `LINE CODE`
            let mut parts = l.splitn(4, ':');
            let (_, line, _, rest) = (parts.next(), parts.next(), parts.next(), parts.next());
            let code = rest.unwrap_or("").split_whitespace().next().unwrap_or("");
            format!("{} {code}", line.unwrap_or(""))
        })
        .collect();
    (lines, run)
}

#[test]
fn noqa_with_the_code_suppresses_the_finding_on_its_line() {
    let (found, run) =
        suppressed_run("import threading\nthreading.Thread(target=print).start()  # noqa: FL101\n");
    assert!(found.is_empty(), "{}", run.describe());
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(run.last_stdout_line().starts_with("All checks passed"));
}

#[test]
fn bare_noqa_suppresses_everything_on_its_line() {
    let (found, run) =
        suppressed_run("import threading\nthreading.Thread(target=print).start()  # NOQA\n");
    assert!(found.is_empty(), "{}", run.describe());
}

#[test]
fn noqa_for_another_code_or_another_line_does_not_suppress() {
    let (found, _) =
        suppressed_run("import threading\nthreading.Thread(target=print).start()  # noqa: FL103\n");
    assert_eq!(found, vec!["2 FL101"]);
    let (found, _) =
        suppressed_run("import threading  # noqa: FL101\nthreading.Thread(target=print).start()\n");
    assert_eq!(found, vec!["2 FL101"]);
    // A `noqa` inside a string is not a directive.
    let (found, _) =
        suppressed_run("import threading\nthreading.Thread(target=print, name='# noqa').start()\n");
    assert_eq!(found, vec!["2 FL101"]);
}

#[test]
fn noqa_of_a_multi_line_statement_goes_on_its_first_line() {
    let statement = "threading.Thread(\n    target=print,\n).start()";
    let (found, _) = suppressed_run(&format!("import threading\n{statement}  # noqa: FL101\n"));
    assert_eq!(
        found,
        vec!["2 FL101"],
        "a directive on the last line does not count"
    );
    let first_line = statement.replacen('\n', "  # noqa: FL101\n", 1);
    let (found, run) = suppressed_run(&format!("import threading\n{first_line}\n"));
    assert!(found.is_empty(), "{}", run.describe());
}

#[test]
fn file_level_noqa_exempts_the_file_or_the_listed_codes() {
    let body = "import subprocess, threading\nthreading.Thread(target=print).start()\n\
                subprocess.run(['true'])\n";
    let (found, _) = suppressed_run(body);
    assert_eq!(found, vec!["2 FL101", "3 FL103"]);
    let (found, run) = suppressed_run(&format!("# forklint: noqa\n{body}"));
    assert!(found.is_empty(), "{}", run.describe());
    // A prefix covers a family; other codes still report.
    let (found, _) = suppressed_run(&format!("# forklint: noqa: FL103\n{body}"));
    assert_eq!(found, vec!["3 FL101"]);
    let (found, _) = suppressed_run(&format!("# forklint: noqa: FL10\n{body}"));
    assert!(found.is_empty());
}

#[test]
fn syntax_errors_cannot_be_suppressed() {
    let (found, _) = suppressed_run("# forklint: noqa\ndef broken(:  # noqa\n    pass\n");
    assert_eq!(found, vec!["2 FL001"]);
}

#[test]
fn unused_noqa_is_off_by_default_and_reported_when_selected() {
    let text = "import threading\n\
                threading.Thread(target=print).start()  # noqa: FL101, FL103, FL999\n\
                x = 1  # noqa\n\
                y = 2  # noqa: FL106\n\
                import os  # noqa: F401\n\
                z = 3  # noqa: E501, FL101\n";
    let dir = project(&[("app.py", text)]);
    let run = concise(dir.path(), &[]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let run = concise(dir.path(), &["--extend-select", "FL002"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(" FL002 "))
        .collect();
    // A bare `# noqa` (line 3) and other linters' codes (line 5, and E501 on line 6) are not
    // forklint's to judge.
    assert_eq!(lines.len(), 3, "{}", run.describe());
    // The used code is kept out of the message; the others are sorted into kinds. FL106 is a
    // rule that ran and found nothing on its line. `[*]`: `--fix` removes them.
    assert!(
        lines[0].starts_with(
            "./app.py:2:41: FL002 [*] Unused `noqa` directive (unused: FL103; unknown: FL999)"
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("./app.py:4:8: FL002 [*] Unused `noqa` directive (unused: FL106)")
    );
    assert!(
        lines[2].starts_with("./app.py:6:8: FL002 [*] Unused `noqa` directive (unused: FL101)")
    );
    // A rule that exists but is not selected is "non-enabled".
    let run = concise(
        dir.path(),
        &["--extend-select", "FL002", "--ignore", "FL106"],
    );
    assert!(
        run.stdout
            .contains("./app.py:4:8: FL002 [*] Unused `noqa` directive (non-enabled: FL106)"),
        "{}",
        run.describe()
    );
}

#[test]
fn unused_noqa_offers_a_safe_fix_that_keeps_used_codes() {
    let text = "import threading\n\
                threading.Thread(target=print).start()  # noqa: FL101, FL103\n\
                x = 1  # noqa: FL106\n";
    let dir = project(&[("app.py", text)]);
    let run = forklint(
        dir.path(),
        &[
            "check",
            "--output-format",
            "text",
            "--color",
            "never",
            "--extend-select",
            "FL002",
        ],
    );
    assert!(
        run.stdout.contains("help: Keep only FL101"),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout.contains("help: Remove the `noqa` directive"),
        "{}",
        run.describe()
    );
}

#[test]
fn src_flag_is_relative_to_the_current_directory() {
    // The project root is the directory with `.git`; the command runs in `sub/`, a package.
    let dir = project(&[("sub/__init__.py", ""), ("sub/app.py", THREAD_AT_IMPORT)]);
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let sub = dir.path().join("sub");
    let run = concise(&sub, &["."]);
    assert!(
        run.stdout.contains("while `sub.app` is being imported"),
        "{}",
        run.describe()
    );
    let run = concise(&sub, &["--src", ".", "."]);
    assert!(
        run.stdout.contains("while `app` is being imported"),
        "{}",
        run.describe()
    );
}

// ---------------------------------------------------------------------------------------------
// --whole-project (the pre-commit hooks)
// ---------------------------------------------------------------------------------------------

/// A git project: `app.py` calls `util.start_worker()` at import time (FL101 in `app.py`, the
/// thread start in `util.py`), `launch.py` has a safely fixable FL203, `clean.py` nothing, and
/// `build/gen.py` (excluded by default) starts a thread at import time.
fn pre_commit_project() -> TempDir {
    let dir = project(&[
        (
            "util.py",
            "import threading\n\ndef start_worker():\n    threading.Thread(target=print).start()\n",
        ),
        ("app.py", "import util\n\nutil.start_worker()\n"),
        (
            "launch.py",
            "import os\nimport subprocess\n\n\ndef launch(cmd):\n    \
             return subprocess.Popen(cmd, preexec_fn=os.setsid)\n",
        ),
        ("clean.py", "x = 1\n"),
        ("build/__init__.py", ""),
        ("build/gen.py", THREAD_AT_IMPORT),
    ]);
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    dir
}

#[test]
fn whole_project_reports_findings_whose_chain_passes_through_the_given_files() {
    let dir = pre_commit_project();
    // Alone, util.py has no hazard: nothing imports it at import time.
    let alone = concise(dir.path(), &["util.py"]);
    assert_eq!(alone.code(), Some(0), "{}", alone.describe());
    // In its project, the finding in app.py has util.py in its chain.
    let run = concise(dir.path(), &["--whole-project", "util.py"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert_eq!(
        findings(&run.stdout, "./app.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );
    assert!(!run.stdout.contains("launch.py"), "{}", run.describe());
    assert_eq!(run.last_stdout_line(), "Found 1 hazard in 1 file.");
    // A finding located in the given file is reported too, and only that one.
    let run = concise(dir.path(), &["--whole-project", "launch.py"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert_eq!(
        findings(&run.stdout, "./launch.py", "FL203").len(),
        1,
        "{}",
        run.describe()
    );
    assert!(!run.stdout.contains("FL101"), "{}", run.describe());
    // A file no finding involves passes, and the whole project (4 files, not build/) was read.
    let run = concise(dir.path(), &["--whole-project", "clean.py"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert_eq!(
        run.last_stdout_line(),
        "All checks passed (4 files checked)."
    );
    // A directory selects every file under it.
    let run = concise(dir.path(), &["--whole-project", "."]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(
        run.stdout.contains("\nFound 2 hazards in 2 files.\n"),
        "{}",
        run.describe()
    );
}

#[test]
fn whole_project_honours_excludes_for_the_given_files() {
    // pre-commit passes excluded files too; the project's excludes still apply to them (as
    // Ruff's `--force-exclude`), while a plain explicit file is always checked.
    let dir = pre_commit_project();
    let run = concise(dir.path(), &["--whole-project", "build/gen.py"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let run = concise(dir.path(), &["build/gen.py"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
}

#[test]
fn whole_project_fixes_only_the_findings_it_reports() {
    let dir = pre_commit_project();
    let launch = std::fs::read_to_string(dir.path().join("launch.py")).unwrap();
    // app.py's finding has no safe fix; launch.py's FL203 is not in scope: nothing changes.
    let run = concise(
        dir.path(),
        &["--whole-project", "--fix", "util.py", "clean.py"],
    );
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("launch.py")).unwrap(),
        launch
    );
    // Given launch.py, its fix is applied and nothing remains there.
    let run = concise(dir.path(), &["--whole-project", "--fix", "launch.py"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let fixed = std::fs::read_to_string(dir.path().join("launch.py")).unwrap();
    assert!(fixed.contains("start_new_session=True"), "{fixed}");
}

#[test]
fn whole_project_rejects_a_missing_path() {
    let dir = pre_commit_project();
    let run = concise(dir.path(), &["--whole-project", "gone.py"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(
        run.stderr.contains("`gone.py` does not exist"),
        "{}",
        run.describe()
    );
}

/// A module whose thread `main()` starts before it forks, with `HOOKS` in place of its
/// `os.register_at_fork(...)` call.
const AT_FORK_PROJECT: &str = r#"import os
import threading
import time

_stop = threading.Event()
_thread = None


def _loop():
    while not _stop.is_set():
        time.sleep(0.1)


def start():
    global _thread
    _stop.clear()
    _thread = threading.Thread(target=_loop)
    _thread.start()


def _stop_thread():
    _stop.set()
    _thread.join()


def _signal_only():
    _stop.set()


def _reset():
    pass


HOOKS


def main():
    start()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    _stop_thread()
"#;

/// The FL201 headers of a text report (`error[FL201 …]` / `warning[FL201 …]`).
fn fl201_severities(hooks: &str) -> Vec<String> {
    let dir = project(&[("server.py", &AT_FORK_PROJECT.replace("HOOKS", hooks))]);
    let run = forklint(
        dir.path(),
        &["check", "--color", "never", "--select", "FL201"],
    );
    run.stdout
        .lines()
        .filter(|l| l.contains("[FL201 "))
        .map(|l| l.split('[').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn register_at_fork_lowers_fl201_with_after_in_child_and_before_joins_drop_it() {
    // No hooks: the thread runs at the fork.
    assert_eq!(fl201_severities("pass"), ["error"]);
    // `after_in_child=` resets the module's state in the child: a warning (RULES.md §2).
    assert_eq!(
        fl201_severities("os.register_at_fork(after_in_child=_reset)"),
        ["warning"]
    );
    // Hooks that do not touch the child do not lower it.
    assert_eq!(
        fl201_severities("os.register_at_fork(after_in_parent=start)"),
        ["error"]
    );
    // A `before=` hook that only signals the thread does not stop it before the fork.
    assert_eq!(
        fl201_severities("os.register_at_fork(before=_signal_only, after_in_parent=start)"),
        ["error"]
    );
    // A `before=` hook that joins it: the thread is never running at a fork.
    assert_eq!(
        fl201_severities("os.register_at_fork(before=_stop_thread, after_in_parent=start)"),
        Vec::<String>::new()
    );
    // The same hook passed as `None` is no hook.
    assert_eq!(
        fl201_severities("os.register_at_fork(before=None, after_in_parent=start)"),
        ["error"]
    );
}

// ---------------------------------------------------------------------------------------------
// Ruff's command-line habits (issue 25): --config KEY=VALUE, --per-file-ignores, --fixable,
// --ignore-noqa, -e, -s, -v, --watch; empty and unreadable input.
// ---------------------------------------------------------------------------------------------

#[test]
fn config_key_value_overrides_the_configuration_and_a_path_still_works() {
    let dir = project(&[
        ("app.py", THREAD_AT_IMPORT),
        ("forklint.toml", "ignore = [\"FL101\"]\n"),
        ("strict.toml", "extend-select = [\"FL002\"]\n"),
    ]);
    let run = concise(dir.path(), &[]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());

    // The override replaces the configuration's `ignore`.
    let run = concise(dir.path(), &["--config", "ignore = []"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert_eq!(findings(&run.stdout, "app.py", "FL101").len(), 1);

    // Several overrides, and `KEY=VALUE` without spaces.
    let run = concise(
        dir.path(),
        &["--config", "ignore=[]", "--config", "select = ['FL2']"],
    );
    assert_eq!(run.code(), Some(0), "{}", run.describe());

    // `target-version` replaces the matrix `requires-python` gave, as --show-settings shows.
    write(
        dir.path(),
        "sub/pyproject.toml",
        "[project]\nrequires-python = \">=3.10\"\n[tool.forklint]\n",
    );
    let run = forklint(
        &dir.path().join("sub"),
        &[
            "check",
            "--show-settings",
            "--config",
            "target-version = 'py311'",
            ".",
        ],
    );
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(
        run.stdout.contains("target-versions = [\"3.11\"]"),
        "{}",
        run.describe()
    );

    // A path is still a path, also one with an `=` in its name, and with an override.
    let run = concise(
        dir.path(),
        &["--config", "strict.toml", "--config", "ignore = ['FL1']"],
    );
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    write(dir.path(), "a=b.toml", "ignore = []\n");
    let run = concise(dir.path(), &["--config", "a=b.toml"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());

    // Overrides apply with --isolated too; a file cannot.
    let run = concise(
        dir.path(),
        &["--isolated", "--config", "ignore = ['FL101']"],
    );
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let run = concise(dir.path(), &["--isolated", "--config", "strict.toml"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(run.stderr.contains("--isolated"), "{}", run.describe());
    let run = concise(
        dir.path(),
        &["--config", "strict.toml", "--config", "a=b.toml"],
    );
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(
        run.stderr.contains("only one configuration file"),
        "{}",
        run.describe()
    );
}

#[test]
fn a_bad_config_override_exits_2_naming_the_fragment() {
    let dir = project(&[("app.py", THREAD_AT_IMPORT)]);
    for (fragment, says) in [
        ("select = ['FL999']", "FL999"),
        ("selct = ['FL1']", "did you mean `select`?"),
        ("select = FL1", "select = FL1"),
        ("target-version = 'py27'", "py27"),
        ("platforms = []", "at least one"),
    ] {
        let run = concise(dir.path(), &["--config", fragment]);
        assert_eq!(run.code(), Some(2), "{fragment}: {}", run.describe());
        assert!(run.stdout.is_empty(), "{}", run.describe());
        assert!(
            run.stderr.contains(&format!("'{fragment}'")) && run.stderr.contains(says),
            "{fragment}: {}",
            run.describe()
        );
    }
    // A missing file (no `=`) is reported as a file, as before.
    let run = concise(dir.path(), &["--config", "missing.toml"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(run.stderr.contains("missing.toml"), "{}", run.describe());
}

#[test]
fn per_file_ignores_on_the_command_line_replace_or_extend_the_configuration() {
    let dir = project(&[
        ("app.py", THREAD_AT_IMPORT),
        ("tests/test_a.py", THREAD_AT_IMPORT),
        (
            "forklint.toml",
            "[per-file-ignores]\n\"tests/*\" = [\"FL101\"]\n",
        ),
    ]);
    let run = concise(dir.path(), &[]);
    assert_eq!(findings(&run.stdout, "app.py", "FL101").len(), 1);
    assert!(findings(&run.stdout, "test_a.py", "FL101").is_empty());

    // `--per-file-ignores` replaces the configuration's (as Ruff's does) ...
    let run = concise(dir.path(), &["--per-file-ignores", "app.py:FL101"]);
    assert!(
        findings(&run.stdout, "app.py", "FL101").is_empty(),
        "{}",
        run.describe()
    );
    assert_eq!(
        findings(&run.stdout, "test_a.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );

    // ... `--extend-per-file-ignores` adds to it.
    let run = concise(dir.path(), &["--extend-per-file-ignores", "app.py:FL1,FL2"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());

    // `GLOB:CODE,CODE`, Ruff's `GLOB:CODE,GLOB:CODE`, and repeated flags.
    for args in [
        &[
            "--per-file-ignores",
            "app.py:FL2,FL101",
            "--per-file-ignores",
            "tests/*:FL101",
        ][..],
        &["--per-file-ignores", "app.py:FL101,tests/*:FL101"][..],
    ] {
        let run = concise(dir.path(), args);
        assert_eq!(run.code(), Some(0), "{args:?}: {}", run.describe());
    }

    for bad in ["app.py", "app.py:FL999", ":FL101", "[:FL101"] {
        let run = concise(dir.path(), &["--per-file-ignores", bad]);
        assert_eq!(run.code(), Some(2), "{bad}: {}", run.describe());
        assert!(
            run.stderr.contains("--per-file-ignores"),
            "{}",
            run.describe()
        );
    }
}

/// A preexec_fn with an exact equivalent (FL203's safe fix).
const PREEXEC: &str = "import os\nimport subprocess\n\n\ndef launch(cmd):\n    return subprocess.Popen(cmd, preexec_fn=os.setsid)\n";

#[test]
fn fixable_and_unfixable_limit_the_fixes_applied() {
    let fixed = PREEXEC.replace("preexec_fn=os.setsid", "start_new_session=True");
    for (args, applied) in [
        (&["--unfixable", "FL203"][..], false),
        // The more specific selector wins, as with `--select`/`--ignore`.
        (&["--unfixable", "FL2", "--fixable", "FL203"][..], true),
        (&["--unfixable", "FL203", "--fixable", "FL2"][..], false),
        (&["--fixable", "FL1"][..], false),
        (&["--fixable", "FL1", "--extend-fixable", "FL203"][..], true),
        (&["--fixable", "FL2"][..], true),
        (&["--unfixable", "FL1"][..], true),
    ] {
        let dir = project(&[("app.py", PREEXEC)]);
        let mut all = vec!["--isolated", "--fix"];
        all.extend_from_slice(args);
        let run = concise(dir.path(), &all);
        let text = std::fs::read_to_string(dir.path().join("app.py")).unwrap();
        assert_eq!(
            text,
            if applied { &fixed } else { PREEXEC },
            "{args:?}: {}",
            run.describe()
        );
        if !applied {
            // Not offered either: no `[*] fixable` line.
            assert_eq!(run.code(), Some(1), "{}", run.describe());
            assert!(!run.stdout.contains("fixable with"), "{}", run.describe());
        }
    }
}

#[test]
fn ignore_noqa_reports_suppressed_findings_and_no_unused_noqa() {
    let dir = project(&[
        (
            "app.py",
            "import threading\nthreading.Thread(target=print).start()  # noqa: FL101\n",
        ),
        ("b.py", "x = 1  # noqa: FL101\n"),
        (
            "c.py",
            "# forklint: noqa\nimport threading\nthreading.Thread(target=print).start()\n",
        ),
    ]);
    let run = concise(dir.path(), &["--extend-select", "FL002"]);
    assert_eq!(
        findings(&run.stdout, "app.py", "FL101").len(),
        0,
        "{}",
        run.describe()
    );
    assert_eq!(
        findings(&run.stdout, "b.py", "FL002").len(),
        1,
        "{}",
        run.describe()
    );

    let run = concise(dir.path(), &["--extend-select", "FL002", "--ignore-noqa"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert_eq!(
        findings(&run.stdout, "app.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );
    assert_eq!(
        findings(&run.stdout, "c.py", "FL101").len(),
        1,
        "{}",
        run.describe()
    );
    assert!(!run.stdout.contains("FL002"), "{}", run.describe());
}

#[test]
fn short_e_is_exit_zero() {
    let dir = project(&[("app.py", THREAD_AT_IMPORT)]);
    let run = concise(dir.path(), &["-e"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert_eq!(findings(&run.stdout, "app.py", "FL101").len(), 1);
}

#[test]
fn silent_prints_nothing_and_the_exit_code_tells() {
    let dir = project(&[("app.py", THREAD_AT_IMPORT), ("bad.py", "def f(:\n")]);
    for flag in ["-s", "--silent"] {
        let run = concise(dir.path(), &[flag]);
        assert_eq!(run.code(), Some(1), "{}", run.describe());
        assert!(
            run.stdout.is_empty() && run.stderr.is_empty(),
            "{}",
            run.describe()
        );
    }
    // Errors too, with their exit code.
    let run = concise(dir.path(), &["-s", "--config", "missing.toml"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(
        run.stdout.is_empty() && run.stderr.is_empty(),
        "{}",
        run.describe()
    );
    // A report file is still written.
    let run = concise(dir.path(), &["-s", "-o", "report.txt"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(
        run.stdout.is_empty() && run.stderr.is_empty(),
        "{}",
        run.describe()
    );
    let report = std::fs::read_to_string(dir.path().join("report.txt")).unwrap();
    assert_eq!(findings(&report, "app.py", "FL101").len(), 1, "{report}");
    // Clean: exit 0. And -q is still there.
    let run = concise(dir.path(), &["-s", "--exit-zero"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let run = concise(dir.path(), &["-q"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(!run.stdout.contains("Found "), "{}", run.describe());
    let run = concise(dir.path(), &["-s", "-v"]);
    assert_eq!(
        run.code(),
        Some(2),
        "-s and -v conflict: {}",
        run.describe()
    );
}

#[test]
fn verbose_names_the_configuration_roots_environment_and_cache() {
    let dir = project(&[
        ("app.py", THREAD_AT_IMPORT),
        ("lib/util.py", "x = 1\n"),
        ("forklint.toml", "src = [\"lib\"]\n"),
    ]);
    let root = dir.path().canonicalize().unwrap();
    let run = concise(&root, &["-v", "--no-python", "--cache-dir", "cache"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    let config = format!("configuration: {}", root.join("forklint.toml").display());
    for expected in [
        format!("verbose: project {}", root.display()),
        config,
        format!("{}", root.join("lib").display()),
        "python environment: none".to_string(),
        format!("cache: {} (0 hits, 2 misses)", root.join("cache").display()),
        "files: 2 checked".to_string(),
        "verbose: checked 2 files in 1 project(s)".to_string(),
    ] {
        assert!(
            run.stderr.contains(&expected),
            "{expected}: {}",
            run.describe()
        );
    }
    // The report itself is unchanged.
    assert_eq!(findings(&run.stdout, "app.py", "FL101").len(), 1);
    // With a cache and an environment.
    write(&root, "venv/lib/python3.12/site-packages/dep.py", "y = 1\n");
    let run = concise(
        &root,
        &["--verbose", "--python", "venv", "--cache-dir", "cache"],
    );
    assert!(
        run.stderr.contains("(2 hits, 0 misses)"),
        "{}",
        run.describe()
    );
    assert!(
        run.stderr.contains(&format!(
            "python environment: {}",
            root.join("venv/lib/python3.12/site-packages").display()
        )),
        "{}",
        run.describe()
    );
}

#[test]
fn watch_checks_again_after_a_change_until_killed() {
    use std::io::BufRead;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let dir = project(&[("app.py", THREAD_AT_IMPORT), ("other.py", "x = 1\n")]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args([
            "check",
            "--watch",
            "--output-format",
            "concise",
            "--no-cache",
            ".",
        ])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let mut wait_for = |summary: &str| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
                let done = line == summary;
                seen.push(line);
                if done {
                    return true;
                }
            }
        }
        false
    };
    let first = wait_for("Found 1 hazard in 1 file.");
    // Fix the file: the watcher reports the change and checks again.
    std::fs::write(dir.path().join("app.py"), "x = 2\n").unwrap();
    let second = first && wait_for("All checks passed (2 files checked).");
    // And again, with a new file.
    if second {
        std::fs::write(dir.path().join("new.py"), THREAD_AT_IMPORT).unwrap();
    }
    let third = second && wait_for("Found 1 hazard in 1 file.");
    // Still running until it is ended.
    let running = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        first && second && third,
        "reports seen:\n{}",
        seen.join("\n")
    );
    assert!(running, "--watch exited by itself");
    assert!(
        seen.iter().any(|l| l.starts_with("./new.py:2:1: FL101 ")),
        "{}",
        seen.join("\n")
    );
}

#[test]
fn no_python_files_is_a_warning_naming_the_paths_and_exit_0() {
    let dir = project(&[("empty/README.txt", "hi\n"), ("also/data.json", "{}\n")]);
    let run = concise(dir.path(), &["empty", "also"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(
        run.stderr
            .contains("warning: No Python files found under the given path(s): empty, also"),
        "{}",
        run.describe()
    );
    // -q drops it, as other warnings.
    let run = concise(dir.path(), &["-q", "empty"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(run.stderr.is_empty(), "{}", run.describe());
}

#[cfg(unix)]
#[test]
fn a_named_file_that_cannot_be_read_is_an_error_a_walked_one_a_warning() {
    let dir = project(&[("good.py", THREAD_AT_IMPORT), ("clean.py", "x = 1\n")]);
    std::os::unix::fs::symlink("gone.py", dir.path().join("broken.py")).unwrap();
    // Found by walking: reported and skipped, as before.
    let run = concise(dir.path(), &["--exit-zero"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(
        run.stderr.contains("warning: skipped ./broken.py"),
        "{}",
        run.describe()
    );
    // Named: an error, exit 1 even with nothing else found.
    let run = concise(dir.path(), &["broken.py", "clean.py"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(
        run.stderr
            .contains("error: cannot read broken.py: broken symbolic link"),
        "{}",
        run.describe()
    );
    assert!(
        !run.stderr.contains("warning: skipped"),
        "{}",
        run.describe()
    );

    // Unreadable by permissions (not observable as root).
    use std::os::unix::fs::PermissionsExt;
    let secret = dir.path().join("secret.py");
    std::fs::write(&secret, "x = 1\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&secret).is_err() {
        let run = concise(dir.path(), &["secret.py"]);
        assert_eq!(run.code(), Some(1), "{}", run.describe());
        assert!(
            run.stderr.contains("error: cannot read secret.py"),
            "{}",
            run.describe()
        );
    }
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();

    // Not decodable: FL001, exit 1 (named or walked).
    write(dir.path(), "latin.py", b"s = '\xe9'\n");
    let run = concise(dir.path(), &["latin.py"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert_eq!(
        findings(&run.stdout, "latin.py", "FL001").len(),
        1,
        "{}",
        run.describe()
    );
}

#[test]
fn output_file_in_a_missing_directory_names_the_directory() {
    let dir = project(&[("app.py", THREAD_AT_IMPORT)]);
    let run = concise(dir.path(), &["-o", "no/such/dir/report.txt"]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(
        run.stderr.contains("directory no/such/dir does not exist"),
        "{}",
        run.describe()
    );
    assert!(!run.stderr.contains(".forklint-"), "{}", run.describe());
    assert!(!dir.path().join("no").exists());
}
