//! `forklint check --fix` and friends, end to end: what is written, what is not, and the exit
//! codes. The byte-for-byte results of each rule's fix are in the fixtures (`*.py.fixed`).

mod support;

use std::path::Path;

use support::{concise, project};

/// A preexec_fn with an exact equivalent (a safe fix) and a `fork` start method (an unsafe one).
const APP: &str = "import multiprocessing\nimport os\nimport subprocess\n\n\ndef launch(cmd):\n    return subprocess.Popen(cmd, preexec_fn=os.setsid)\n\n\ndef main():\n    multiprocessing.set_start_method(\"fork\")\n";
const APP_SAFE_FIXED: &str = "import multiprocessing\nimport os\nimport subprocess\n\n\ndef launch(cmd):\n    return subprocess.Popen(cmd, start_new_session=True)\n\n\ndef main():\n    multiprocessing.set_start_method(\"fork\")\n";

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn fix_applies_safe_fixes_only_and_reports_what_remains() {
    let dir = project(&[("app.py", APP)]);
    let run = concise(dir.path(), &["--isolated", "--fix", "."]);
    assert_eq!(
        read(dir.path(), "app.py"),
        APP_SAFE_FIXED,
        "{}",
        run.describe()
    );
    // The unsafe FL204 remains, so the exit code says there are findings.
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(run.stdout.contains("FL204"), "{}", run.describe());
    assert!(!run.stdout.contains("FL203"), "{}", run.describe());
    assert!(run.stdout.contains("Fixed 1 hazard."), "{}", run.describe());
    assert!(
        run.stdout
            .contains("1 hidden fix can be enabled with `--unsafe-fixes`"),
        "{}",
        run.describe()
    );
}

#[test]
fn unsafe_fixes_apply_with_the_flag_and_then_nothing_remains() {
    let dir = project(&[("app.py", APP)]);
    let run = concise(
        dir.path(),
        &["--isolated", "--fix", "--unsafe-fixes", "--show-fixes", "."],
    );
    let fixed = APP_SAFE_FIXED.replace("\"fork\"", "\"forkserver\"");
    assert_eq!(read(dir.path(), "app.py"), fixed, "{}", run.describe());
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(
        run.stdout.contains("Fixed 2 hazards:"),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout.contains("1 × FL203 (preexec-fn-with-threads)"),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout
            .contains("1 × FL204 (explicit-fork-start-method)"),
        "{}",
        run.describe()
    );
}

#[test]
fn diff_changes_nothing_and_exits_1_when_there_is_a_diff() {
    let dir = project(&[("app.py", APP)]);
    let run = concise(dir.path(), &["--isolated", "--diff", "."]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert_eq!(read(dir.path(), "app.py"), APP);
    assert!(
        run.stdout.starts_with("--- a/app.py\n+++ b/app.py\n"),
        "{}",
        run.describe()
    );
    assert!(
        run.stdout
            .contains("-    return subprocess.Popen(cmd, preexec_fn=os.setsid)\n+    return subprocess.Popen(cmd, start_new_session=True)\n"),
        "{}",
        run.describe()
    );
    assert!(
        run.stderr.contains("Would fix 1 hazard."),
        "{}",
        run.describe()
    );
    // Nothing to fix: no diff, exit 0, even though a finding (without a safe fix) remains.
    let clean = project(&[(
        "app.py",
        "import multiprocessing\nmultiprocessing.set_start_method(\"fork\")\n",
    )]);
    let run = concise(clean.path(), &["--isolated", "--diff", "."]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(run.stdout.is_empty(), "{}", run.describe());
}

#[test]
fn fix_only_fixes_and_reports_nothing_else() {
    let dir = project(&[("app.py", APP)]);
    let run = concise(dir.path(), &["--isolated", "--fix-only", "."]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert_eq!(read(dir.path(), "app.py"), APP_SAFE_FIXED);
    assert!(run.stdout.is_empty(), "{}", run.describe());
    assert!(run.stderr.contains("Fixed 1 hazard."), "{}", run.describe());
    // Asked to, a run that fixed something exits 1.
    let dir = project(&[("app.py", APP)]);
    let run = concise(
        dir.path(),
        &["--isolated", "--fix-only", "--exit-non-zero-on-fix", "."],
    );
    assert_eq!(run.code(), Some(1), "{}", run.describe());
}

#[test]
fn crlf_bom_and_missing_final_newline_are_kept() {
    let text = "\u{feff}import os\r\nimport subprocess\r\n\r\nsubprocess.run([\"true\"], preexec_fn=os.setsid)";
    let dir = project(&[("app.py", text)]);
    let run = concise(dir.path(), &["--isolated", "--fix", "."]);
    let fixed = std::fs::read(dir.path().join("app.py")).unwrap();
    assert_eq!(
        String::from_utf8(fixed).unwrap(),
        text.replace("preexec_fn=os.setsid", "start_new_session=True"),
        "{}",
        run.describe()
    );
}

#[test]
fn the_main_fix_keeps_crlf_and_tab_indentation() {
    // A script (shebang) that starts a process at the top level under spawn (Windows).
    let text = "#!/usr/bin/env python3\r\nimport multiprocessing\r\n\r\n\r\ndef work():\r\n\tprint(\"child\")\r\n\r\n\r\nmultiprocessing.Process(target=work).start()\r\n";
    let dir = project(&[("run.py", text)]);
    let run = concise(
        dir.path(),
        &[
            "--isolated",
            "--platform",
            "windows",
            "--fix",
            "--unsafe-fixes",
            ".",
        ],
    );
    let want = "#!/usr/bin/env python3\r\nimport multiprocessing\r\n\r\n\r\ndef work():\r\n\tprint(\"child\")\r\n\r\n\r\ndef main() -> None:\r\n\tmultiprocessing.Process(target=work).start()\r\n\r\n\r\nif __name__ == \"__main__\":\r\n\tmain()\r\n";
    assert_eq!(read(dir.path(), "run.py"), want, "{}", run.describe());
    assert_eq!(run.code(), Some(0), "{}", run.describe());
}

#[test]
fn a_multiline_string_is_not_reindented_by_the_main_fix() {
    let text = "#!/usr/bin/env python3\nimport multiprocessing\n\nmultiprocessing.Process(target=print).start()\nprint(\"\"\"one\ntwo\n\"\"\")\n";
    let dir = project(&[("run.py", text)]);
    let run = concise(
        dir.path(),
        &[
            "--isolated",
            "--platform",
            "windows",
            "--fix",
            "--unsafe-fixes",
            ".",
        ],
    );
    let want = "#!/usr/bin/env python3\nimport multiprocessing\n\n\ndef main() -> None:\n    multiprocessing.Process(target=print).start()\n    print(\"\"\"one\ntwo\n\"\"\")\n\n\nif __name__ == \"__main__\":\n    main()\n";
    assert_eq!(read(dir.path(), "run.py"), want, "{}", run.describe());
}

#[test]
fn a_read_only_file_is_left_alone_and_the_run_fails() {
    let dir = project(&[("app.py", APP)]);
    let path = dir.path().join("app.py");
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).unwrap();
    let run = concise(dir.path(), &["--isolated", "--fix", "."]);
    assert_eq!(run.code(), Some(2), "{}", run.describe());
    assert!(
        run.stderr.contains("cannot fix") && run.stderr.contains("read-only"),
        "{}",
        run.describe()
    );
    assert_eq!(read(dir.path(), "app.py"), APP);
    // The report describes the file as it is on disk: FL203 is still there.
    assert!(run.stdout.contains("FL203"), "{}", run.describe());
}

#[cfg(unix)]
#[test]
fn permissions_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[("app.py", APP)]);
    let path = dir.path().join("app.py");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o750)).unwrap();
    let run = concise(dir.path(), &["--isolated", "--fix", "."]);
    assert_eq!(
        read(dir.path(), "app.py"),
        APP_SAFE_FIXED,
        "{}",
        run.describe()
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o750);
}

#[test]
fn a_file_with_a_syntax_error_is_not_fixed() {
    let text = "import os, subprocess\nsubprocess.run([\"true\"], preexec_fn=os.setsid)  # noqa: FL101\ndef broken(:\n";
    let dir = project(&[("app.py", text)]);
    let run = concise(dir.path(), &["--isolated", "--fix", "."]);
    assert_eq!(read(dir.path(), "app.py"), text, "{}", run.describe());
    assert!(run.stdout.contains("FL001"), "{}", run.describe());
}

#[test]
fn the_import_a_fix_needs_is_added_after_the_docstring_and_future_imports() {
    let text = "\"\"\"Workers.\"\"\"\nfrom __future__ import annotations\n\nimport threading\nfrom multiprocessing import Process\n\n\ndef main():\n    threading.Thread(target=print).start()\n    Process(target=print).start()\n";
    let dir = project(&[("app.py", text)]);
    let run = concise(dir.path(), &["--isolated", "--fix", "--unsafe-fixes", "."]);
    let want = "\"\"\"Workers.\"\"\"\nfrom __future__ import annotations\n\nimport threading\nfrom multiprocessing import Process\nimport multiprocessing\n\n\ndef main():\n    threading.Thread(target=print).start()\n    multiprocessing.get_context(\"forkserver\").Process(target=print).start()\n";
    assert_eq!(read(dir.path(), "app.py"), want, "{}", run.describe());
    // An existing alias is reused instead.
    let text = "import multiprocessing as mp\nimport threading\n\n\ndef main():\n    threading.Thread(target=print).start()\n    mp.Pool(2)\n";
    let dir = project(&[("app.py", text)]);
    let run = concise(dir.path(), &["--isolated", "--fix", "--unsafe-fixes", "."]);
    let want = text.replace("mp.Pool(2)", "mp.get_context(\"forkserver\").Pool(2)");
    assert_eq!(read(dir.path(), "app.py"), want, "{}", run.describe());
}

#[test]
fn version_gated_fixes_wait_for_the_target_version() {
    let text = "import os, subprocess\n\n\ndef go():\n    subprocess.run([\"true\"], preexec_fn=os.setpgrp)\n";
    let dir = project(&[("app.py", text)]);
    // 3.10 has no `process_group=`: the fix is a suggestion only.
    let run = concise(
        dir.path(),
        &["--isolated", "--target-version", "py310", "--diff", "."],
    );
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let run = concise(
        dir.path(),
        &["--isolated", "--target-version", "py311", "--diff", "."],
    );
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(
        run.stdout
            .contains("+    subprocess.run([\"true\"], process_group=0)"),
        "{}",
        run.describe()
    );
}

#[test]
fn fix_with_diff_writes_nothing_and_exits_1_as_ruff() {
    let dir = project(&[("app.py", APP)]);
    // Ruff accepts `--fix --diff` (and `--fix-only --diff`): the diff is printed, nothing is
    // written, and a diff exits 1.
    for fix in ["--fix", "--fix-only"] {
        let run = concise(dir.path(), &["--isolated", fix, "--diff", "."]);
        assert_eq!(run.code(), Some(1), "{fix}: {}", run.describe());
        assert_eq!(read(dir.path(), "app.py"), APP, "{fix}");
        assert!(
            run.stdout.starts_with("--- a/app.py\n+++ b/app.py\n"),
            "{fix}: {}",
            run.describe()
        );
        assert!(
            run.stderr.contains("Would fix 1 hazard."),
            "{}",
            run.describe()
        );
    }
}

#[test]
fn an_added_import_goes_after_a_backslash_continued_import_line() {
    // Found by the fuzzer (tests/fuzz-regressions/fix-import-after-backslash-continuation.bin):
    // `import time\` continues onto the next line, so an `import multiprocessing` inserted
    // there became `import time import multiprocessing`, and the FL201 fix was rejected.
    let text = "from multiprocessing import Process\n\
                from threading import Thread\n\
                import time\\\n\
                \n\
                \n\
                def main():\n\
                \x20   t = Thread(target=time.sleep, args=(1,))\n\
                \x20   p = Process(target=print)\n\
                \x20   t.start()\n\
                \x20   p.start()\n";
    let dir = project(&[("app.py", text)]);
    let run = concise(dir.path(), &["--isolated", "--fix", "--unsafe-fixes", "."]);
    assert!(!run.stderr.contains("internal error"), "{}", run.describe());
    let fixed = read(dir.path(), "app.py");
    assert!(
        fixed.starts_with(
            "from multiprocessing import Process\nfrom threading import Thread\nimport time\\\n\nimport multiprocessing\n"
        ),
        "{fixed}"
    );
    assert!(
        fixed.contains("p = multiprocessing.get_context(\"forkserver\").Process(target=print)"),
        "{fixed}"
    );
}

#[test]
fn the_main_fix_is_not_offered_over_a_line_that_starts_with_a_backslash() {
    // Found by the fuzzer (tests/fuzz-regressions/entry-fix-backslash-line.bin): shifting a
    // line that starts with `\` into `def main():` turned a file that parses into an
    // indentation error; the fix was rejected as an internal error.
    let input = std::fs::read("tests/fuzz-regressions/entry-fix-backslash-line.bin").unwrap();
    let text = String::from_utf8_lossy(&input).into_owned();
    let dir = project(&[("main.py", &text)]);
    let run = concise(
        dir.path(),
        &[
            "--isolated",
            "--select",
            "ALL",
            "--unsafe-fixes",
            "--diff",
            ".",
        ],
    );
    assert!(!run.stderr.contains("internal error"), "{}", run.describe());
    assert_eq!(run.code(), Some(0), "{}", run.describe());
}
