//! `--fix` never breaks a file: a corpus test over the standard library of the local Python.
//!
//! A deterministic sample of its modules is copied into a throwaway project with the rules'
//! triggers injected — at the end of the module, before its last top-level statement, and with
//! a shebang that makes the module an entry script (so the `main()` fix moves real code) — and
//! `forklint check --fix --unsafe-fixes` runs on it. Every module that parsed before must parse
//! after, no fix may be rejected, and a second run must find nothing more to fix.
//!
//! `FORKLINT_FIX_CORPUS_EVERY=1` takes every module instead of a sample (slow; by hand).

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::run_command;

/// The standard library directory of `python3`, if there is one.
fn stdlib() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .ok()?;
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    dir.join("threading.py").is_file().then_some(dir)
}

const TRIGGERS: &str = "import os as _fl_os, subprocess as _fl_sp, threading as _fl_th
import multiprocessing
from multiprocessing import Pool as _FlPool
_fl_th.Thread(target=print).start()
_fl_sp.Popen([\"true\"], preexec_fn=_fl_os.setsid)
multiprocessing.set_start_method(\"fork\")
_fl_p = multiprocessing.Process(target=print)
_fl_p.start()  # noqa: FL999
_FlPool(2)
";

/// The module's text with the triggers injected; which way depends on `n`.
fn inject(text: &str, n: usize) -> String {
    match n % 3 {
        0 => format!("#!/usr/bin/env python3\n{text}\n{TRIGGERS}"),
        1 => format!("{text}\n{TRIGGERS}"),
        _ => {
            // Before the last line that starts a top-level statement (not a comment, not a
            // closing bracket, not inside a string: a wrong guess only makes a syntax error,
            // and a file with one is never fixed).
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            let at = lines.iter().rposition(|l| {
                l.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && !l.starts_with("else")
                    && !l.starts_with("elif")
                    && !l.starts_with("except")
                    && !l.starts_with("finally")
            });
            match at {
                Some(i) => format!("{}{TRIGGERS}{}", lines[..i].concat(), lines[i..].concat()),
                None => format!("{text}\n{TRIGGERS}"),
            }
        }
    }
}

#[test]
fn fix_never_produces_a_file_that_does_not_parse() {
    let Some(stdlib) = stdlib() else {
        eprintln!("skipped: no python3 with a standard library here");
        return;
    };
    let every = std::env::var("FORKLINT_FIX_CORPUS_EVERY")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(5);
    let mut modules: Vec<PathBuf> = walkdir::WalkDir::new(&stdlib)
        .into_iter()
        .filter_entry(|e| e.file_name() != "site-packages")
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    modules.sort();
    let tmp = tempfile::tempdir().unwrap();
    let mut injected = Vec::new();
    for (i, module) in modules.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let Ok(text) = std::fs::read_to_string(module) else {
            continue;
        };
        let text = inject(&text, i);
        let name = format!("m{i:05}_{}", module.file_name().unwrap().to_string_lossy());
        let parsed_before = forklint::fix::syntax_error(&text).is_none();
        std::fs::write(tmp.path().join(&name), &text).unwrap();
        injected.push((name, text, parsed_before));
    }
    assert!(
        injected.len() >= 20,
        "only {} modules sampled",
        injected.len()
    );

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
    cmd.args([
        "check",
        "--isolated",
        "--fix",
        "--unsafe-fixes",
        "--quiet",
        "--output-format",
        "concise",
        ".",
    ])
    .current_dir(tmp.path());
    let run = run_command(cmd);
    assert!(
        matches!(run.code(), Some(0 | 1)),
        "--fix failed (a rejected fix or a write error):\n{}",
        run.stderr
    );
    let mut changed = 0;
    let mut broken = Vec::new();
    for (name, before, parsed_before) in &injected {
        let after = std::fs::read_to_string(tmp.path().join(name)).unwrap();
        changed += usize::from(after != *before);
        if *parsed_before && let Some(error) = forklint::fix::syntax_error(&after) {
            broken.push(format!("{name}: {error}"));
        }
        if !*parsed_before {
            assert_eq!(&after, before, "{name} had a syntax error and was changed");
        }
    }
    assert!(
        broken.is_empty(),
        "fixed files that do not parse:\n{}",
        broken.join("\n")
    );
    // The triggers must have been fixed in most modules, or this test shows nothing.
    assert!(
        changed * 2 > injected.len(),
        "only {changed} of {} modules were fixed",
        injected.len()
    );

    eprintln!("{changed} of {} sampled modules fixed", injected.len());
    // Settled: a second run has nothing more to fix.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
    cmd.args(["check", "--isolated", "--diff", "--unsafe-fixes", "."])
        .current_dir(tmp.path());
    let run = run_command(cmd);
    assert_eq!(
        run.code(),
        Some(0),
        "a second run still fixes:\n{}",
        run.stdout
    );
}
