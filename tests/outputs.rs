//! The machine-readable outputs end to end: `--output-format json|sarif|github`,
//! `--output-file` and `--statistics`, run on the fixture projects with the real binary.
//!
//! The SARIF test validates every fixture's log with third-party validators (the official
//! SARIF 2.1.0 JSON schema, checked by Python `jsonschema`, and Microsoft's
//! `Sarif.Multitool validate` with the GitHub ingestion rules). `scripts/test.sh` installs them
//! into `target/test-tools/`; without them that test fails, unless `FORKLINT_SKIP_EXTERNAL=1`.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{Run, forklint, project, run_command, run_command_within, write};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures").join(name)
}

fn parse_json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{}", run.describe()))
}

/// (row, start column, end column), 1-based, in characters, of the statement on each line
/// marked `# expect: CODE` in `text`: from its first non-blank character to the end of the
/// code before the comment.
fn expected_spans(text: &str, code: &str) -> Vec<(usize, usize, usize)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            l.split_once("# expect:")
                .is_some_and(|(_, c)| c.split(',').any(|c| c.trim() == code))
        })
        .map(|(i, line)| {
            let code_part = line.split_once('#').unwrap().0.trim_end();
            let indent = code_part.chars().take_while(|c| c.is_whitespace()).count();
            (i + 1, indent + 1, code_part.chars().count() + 1)
        })
        .collect()
}

fn pos(v: &Value) -> (u64, u64) {
    (v["row"].as_u64().unwrap(), v["column"].as_u64().unwrap())
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

#[test]
fn json_findings_have_every_field_and_one_based_positions() {
    let dir = fixture("fl101/direct");
    // The fixture directory is its little project's source root (as the fixture harness
    // runs it): from the repository's root, a plain directory's file nothing imports would
    // be a script.
    let run = forklint(
        &dir,
        &["check", "--output-format", "json", "--src", ".", "."],
    );
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    let findings = parse_json(&run);
    let findings = findings.as_array().expect("an array");
    let text = std::fs::read_to_string(dir.join("app.py")).unwrap();
    let expected = expected_spans(&text, "FL101");
    assert_eq!(expected.len(), 3, "the fixture changed");
    let got: Vec<(usize, usize, usize)> = findings
        .iter()
        .map(|f| {
            let (row, col) = pos(&f["start"]);
            let (end_row, end_col) = pos(&f["end"]);
            assert_eq!(row, end_row, "one-line statement: {f}");
            (row as usize, col as usize, end_col as usize)
        })
        .collect();
    assert_eq!(got, expected, "{}", run.stdout);
    for f in findings {
        let keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        let mut wanted = vec![
            "also", "code", "end", "file", "fix", "message", "name", "severity", "start", "trace",
            "url",
        ];
        wanted.sort_unstable();
        assert_eq!(sorted, wanted);
        assert_eq!(f["code"], "FL101");
        assert_eq!(f["name"], "import-time-thread-start");
        assert_eq!(f["severity"], "warning");
        assert_eq!(f["file"], "./app.py");
        assert!(f["fix"].is_null());
        assert!(f["message"].as_str().unwrap().contains("starts a thread"));
        assert!(f["url"].as_str().unwrap().ends_with("/docs/rules/FL101.md"));
    }
    // Key order is stable: the order documented in docs/output-formats.md.
    let first = &run.stdout[..run.stdout.find("\n  }").unwrap()];
    let order: Vec<usize> = [
        "\"code\"",
        "\"name\"",
        "\"message\"",
        "\"severity\"",
        "\"file\"",
        "\"start\"",
        "\"end\"",
        "\"trace\"",
        "\"fix\"",
        "\"url\"",
    ]
    .iter()
    .map(|k| first.find(k).unwrap())
    .collect();
    assert!(order.is_sorted(), "key order changed: {first}");
    // stdout is the document alone; the summary went to stderr.
    assert!(
        run.stderr.contains("Found 3 hazards in 1 file."),
        "{}",
        run.describe()
    );
}

#[test]
fn json_trace_points_at_each_step_and_columns_count_characters() {
    let dir = project(&[
        ("main.py", "import app\n"),
        ("app.py", "import util\né = 'ü'; util.start()\n"),
        (
            "util.py",
            "import threading\n\ndef start():\n    threading.Thread(target=print).start()\n",
        ),
    ]);
    let run = forklint(dir.path(), &["check", "--output-format", "json"]);
    let findings = parse_json(&run);
    let fl101 = findings
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "FL101")
        .unwrap_or_else(|| panic!("no FL101: {}", run.describe()));
    let line = "é = 'ü'; util.start()";
    let col = line[..line.find("util.start").unwrap()].chars().count() + 1;
    assert_eq!(pos(&fl101["start"]), (2, col as u64));
    assert_eq!(pos(&fl101["end"]), (2, line.chars().count() as u64 + 1));
    let step = &fl101["trace"][0];
    assert_eq!(step["file"], "./util.py");
    assert_eq!(pos(&step["start"]), (4, 5));
    assert_eq!(
        pos(&step["end"]),
        (
            4,
            "    threading.Thread(target=print).start()".len() as u64 + 1
        )
    );
    assert_eq!(step["message"], "thread started here");
}

// ---------------------------------------------------------------------------------------------
// GitHub annotations
// ---------------------------------------------------------------------------------------------

#[test]
fn github_annotations_escape_properties_and_messages() {
    let dir = tempfile::tempdir().unwrap();
    let sub = "we%ird,di:r";
    for name in ["main.py", "app.py", "util.py"] {
        let text = std::fs::read(fixture("fl101/across-modules").join(name)).unwrap();
        write(&dir.path().join(sub), name, text);
    }
    let run = forklint(dir.path(), &["check", "--output-format", "github", sub]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    let lines: Vec<&str> = run.stdout.lines().collect();
    // One finding: main.py's import of app is no FL105 (loose modules of one program).
    assert_eq!(lines.len(), 1, "{}", run.describe());
    let app = std::fs::read_to_string(dir.path().join(sub).join("app.py")).unwrap();
    let (row, col, end) = expected_spans(&app, "FL101")[0];
    assert_eq!(
        lines[0],
        format!(
            "::warning file=we%25ird%2Cdi%3Ar/app.py,line={row},col={col},endLine={row},\
             endColumn={end},title=FL101 import-time-thread-start::`util.start_worker()` starts \
             a thread (`threading.Thread.start`) while `app` is being imported \
             (at we%25ird,di:r/util.py:10)"
        )
    );
    assert!(run.stderr.contains("Found 1 hazard"), "{}", run.describe());
}

// ---------------------------------------------------------------------------------------------
// --output-file
// ---------------------------------------------------------------------------------------------

#[test]
fn output_file_gets_the_report_and_stdout_only_the_summary() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("report.json");
    std::fs::write(&target, "old contents").unwrap();
    let dir = fixture("fl101/direct");
    let target_arg = target.to_str().unwrap();
    let run = forklint(
        &dir,
        &[
            "check",
            "--src",
            ".",
            "--output-format",
            "json",
            "--output-file",
            target_arg,
        ],
    );
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert_eq!(run.stdout, "Found 3 hazards in 1 file.\n");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(written.as_array().unwrap().len(), 3);
    // Nothing else is left beside it (the temporary file was renamed, not copied).
    let names: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["report.json"]);

    // --quiet: nothing at all on stdout.
    let run = forklint(&dir, &["check", "--src", ".", "-q", "-o", target_arg]);
    assert_eq!(run.stdout, "");
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.contains("warning[FL101"), "{text}");
    assert!(!text.contains('\x1b'), "no colour in a file");
}

#[test]
fn unwritable_output_file_is_an_error_exit_2() {
    let out = tempfile::tempdir().unwrap();
    let dir = fixture("fl101/direct");
    for target in [
        out.path().join("missing-dir/report.json"),
        out.path().to_path_buf(), // a directory
    ] {
        let run = forklint(&dir, &["check", "-o", target.to_str().unwrap()]);
        assert_eq!(run.code(), Some(2), "{}", run.describe());
        assert!(
            run.stderr.contains("cannot write the report to"),
            "{}",
            run.describe()
        );
        assert_eq!(run.stdout, "");
    }
    assert!(!out.path().join("missing-dir").exists());
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

// ---------------------------------------------------------------------------------------------
// --statistics
// ---------------------------------------------------------------------------------------------

#[test]
fn statistics_count_the_findings_of_each_rule() {
    let dir = fixture("fl101");
    let run = forklint(&dir, &["check", "--output-format", "json", "."]);
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for f in parse_json(&run).as_array().unwrap() {
        *counts
            .entry(f["code"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert!(counts.len() >= 2, "want several rules: {counts:?}");
    let mut expected: Vec<(String, u64)> = counts.into_iter().collect();
    expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

    let stats = forklint(
        &dir,
        &["check", "--statistics", "--output-format", "json", "."],
    );
    assert_eq!(stats.code(), Some(1));
    let got: Vec<(String, u64)> = parse_json(&stats)
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let code = s["code"].as_str().unwrap();
            let rule = forklint(repo(), &["rule", code]);
            assert!(
                rule.stdout.contains(s["name"].as_str().unwrap()),
                "{s} names its rule"
            );
            (code.to_string(), s["count"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(got, expected);

    let text = forklint(&dir, &["check", "--statistics", "."]);
    let rows: Vec<(String, u64)> = text
        .stdout
        .lines()
        .filter(|l| !l.starts_with("Found"))
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(cols.len(), 3, "count code name: {l}");
            (cols[1].to_string(), cols[0].parse().unwrap())
        })
        .collect();
    assert_eq!(rows, expected);
    assert!(text.last_stdout_line().starts_with("Found "));

    let sarif = forklint(
        &dir,
        &["check", "--statistics", "--output-format", "sarif", "."],
    );
    assert_eq!(sarif.code(), Some(2), "{}", sarif.describe());
}

// ---------------------------------------------------------------------------------------------
// SARIF
// ---------------------------------------------------------------------------------------------

fn sarif(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["check", "--output-format", "sarif"];
    all.extend_from_slice(args);
    let run = forklint(dir, &all);
    run.assert_finished_cleanly();
    parse_json(&run)
}

#[test]
fn sarif_results_point_into_rules_and_locations_are_relative_to_srcroot() {
    let dir = fixture("fl101/across-modules");
    let log = sarif(&dir, &["."]);
    let run = &log["runs"][0];
    let srcroot = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(srcroot.starts_with("file:///") && srcroot.ends_with("/fl101/across-modules/"));
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    for r in results {
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("## What it does")
        );
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(
            !loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .contains('/')
        );
    }
    let fl101 = &results[0];
    assert_eq!(fl101["ruleId"], "FL101");
    assert_eq!(fl101["level"], "warning");
    let app = std::fs::read_to_string(dir.join("app.py")).unwrap();
    let (row, col, end) = expected_spans(&app, "FL101")[0];
    assert_eq!(
        fl101["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({"startLine": row, "startColumn": col, "endLine": row, "endColumn": end})
    );
    let flow = fl101["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .unwrap();
    assert_eq!(flow.len(), 3, "primary, then each step");
    assert_eq!(
        flow[1]["location"]["physicalLocation"]["artifactLocation"]["uri"],
        "util.py"
    );
    assert_eq!(
        flow[1]["location"]["message"]["text"],
        "thread started here"
    );
    let related = fl101["relatedLocations"].as_array().unwrap();
    assert_eq!(related.len(), 2);
    assert_eq!(related[0]["id"], 1);
}

#[test]
fn sarif_fingerprints_survive_unrelated_lines_moving() {
    let body = "import threading\nthreading.Thread(target=print).start()\n";
    let dir = project(&[("app.py", body)]);
    let before = sarif(dir.path(), &[]);
    write(dir.path(), "app.py", format!("# a comment\n\n{body}"));
    let after = sarif(dir.path(), &[]);
    let fingerprints = |log: &Value| -> Vec<(Value, Value)> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["partialFingerprints"].clone(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"].clone(),
                )
            })
            .collect()
    };
    let (b, a) = (fingerprints(&before), fingerprints(&after));
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].0, a[0].0, "same fingerprint");
    assert_ne!(b[0].1, a[0].1, "different line");
    // Two identical statements in one file still get different fingerprints.
    write(
        dir.path(),
        "app.py",
        format!("{body}{}", body.lines().nth(1).unwrap()),
    );
    let twice = fingerprints(&sarif(dir.path(), &[]));
    assert_eq!(twice.len(), 2);
    assert_ne!(twice[0].0, twice[1].0);
}

#[test]
fn sarif_reports_skipped_files_as_notifications() {
    let dir = project(&[("app.py", "import threading\nthreading.Thread().start()\n")]);
    // A code page Python has and forklint cannot decode: skipped (a file merely not valid in
    // its encoding is FL001 instead).
    write(
        dir.path(),
        "dos.py",
        b"# -*- coding: cp437 -*-\nx = '\x82'\n",
    );
    let log = sarif(dir.path(), &[]);
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{invocation}");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("dos.py")
    );
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "dos.py"
    );
}

/// The third-party validators `scripts/test.sh` installs, or `None` when they may be skipped.
struct Validators {
    python: PathBuf,
    schema: PathBuf,
    multitool: PathBuf,
}

fn validators() -> Option<Validators> {
    let tools = repo().join("target/test-tools");
    let linux = tools.join("node_modules/@microsoft/sarif-multitool-linux");
    let v = Validators {
        python: tools.join("venv/bin/python"),
        schema: linux.join("sarif-2.1.0.json"),
        multitool: linux.join("Sarif.Multitool"),
    };
    if [&v.python, &v.schema, &v.multitool]
        .iter()
        .all(|p| p.exists())
    {
        return Some(v);
    }
    if std::env::var_os("FORKLINT_SKIP_EXTERNAL").is_some_and(|v| v == "1") {
        eprintln!("FORKLINT_SKIP_EXTERNAL=1: SARIF validators skipped");
        return None;
    }
    panic!(
        "the SARIF validators are not installed in {}: run `bash scripts/test.sh` (it installs \
         them), or set FORKLINT_SKIP_EXTERNAL=1 to skip this test",
        tools.display()
    );
}

/// Problems both validators find in `files` (empty when all are valid).
fn validate(v: &Validators, files: &[PathBuf], scratch: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut cmd = Command::new(&v.python);
    cmd.arg(repo().join("scripts/validate_sarif.py"))
        .arg(&v.schema)
        .args(files);
    let schema = run_command(cmd);
    if schema.code() != Some(0) {
        problems.push(format!("JSON schema: {}", schema.describe()));
    }
    // Multitool always exits 0: its findings are the results of the log it writes.
    let out = scratch.join("multitool-out.sarif");
    let mut cmd = Command::new(&v.multitool);
    cmd.arg("validate").args(files).arg("-o").arg(&out).args([
        "--log",
        "ForceOverwrite",
        "--rule-kind",
        "Sarif;Gh",
    ]);
    // About 40 s for the 350 fixture logs on an idle 2-core machine; more when it is busy.
    let run = run_command_within(cmd, std::time::Duration::from_secs(600));
    let log: Value = std::fs::read_to_string(&out)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| panic!("Sarif.Multitool wrote no log: {}", run.describe()));
    for r in log["runs"][0]["results"].as_array().into_iter().flatten() {
        problems.push(format!("Sarif.Multitool: {r}"));
    }
    let invocation = &log["runs"][0]["invocations"][0];
    if invocation["executionSuccessful"] == false {
        problems.push(format!("Sarif.Multitool could not check: {invocation}"));
    }
    problems
}

#[test]
fn every_fixture_sarif_passes_the_schema_and_github_validators() {
    let Some(v) = validators() else { return };
    let scratch = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let dirs = support::fixture_dirs();
    assert!(dirs.len() >= 20);
    for dir in &dirs {
        let toml: toml::Value =
            toml::from_str(&std::fs::read_to_string(dir.join("fixture.toml")).unwrap()).unwrap();
        let rel = dir.strip_prefix(repo()).unwrap();
        let mut args = vec![
            "check".to_string(),
            "--output-format".into(),
            "sarif".into(),
            rel.display().to_string(),
            "--src".into(),
            rel.display().to_string(),
        ];
        for a in toml
            .get("args")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
        {
            args.push(a.as_str().unwrap().to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // From the repository root: URIs relative to %SRCROOT%.
        let run = forklint(repo(), &args);
        run.assert_finished_cleanly();
        let file = scratch.path().join(format!(
            "{}.sarif",
            rel.display().to_string().replace('/', "_")
        ));
        std::fs::write(&file, &run.raw_stdout).unwrap();
        files.push(file);
    }
    // From elsewhere: absolute file:// URIs, and a skipped file's notification.
    let elsewhere = project(&[("x.py", "")]);
    write(elsewhere.path(), "bad.py", b"# coding: cp437\nx = '\x82'\n");
    let fixture_dir = fixture("fl101/across-modules");
    let run = forklint(
        elsewhere.path(),
        &[
            "check",
            "--output-format",
            "sarif",
            fixture_dir.to_str().unwrap(),
            ".",
        ],
    );
    assert!(run.stdout.contains("\"uri\": \"file:///"), "{}", run.stdout);
    let file = scratch.path().join("outside-srcroot.sarif");
    std::fs::write(&file, &run.raw_stdout).unwrap();
    files.push(file);

    let problems = validate(&v, &files, scratch.path());
    assert!(
        problems.is_empty(),
        "invalid SARIF:\n{}",
        problems.join("\n")
    );

    // The check can fail: a broken log is rejected by each validator.
    let good: Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    let mut fatal = good.clone();
    fatal["runs"][0]["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] =
        "fatal".into();
    let mut no_rule_id = good.clone();
    let result = serde_json::json!({
        "message": {"text": "m"},
        "ruleIndex": 99,
    });
    no_rule_id["runs"][0]["results"] = serde_json::json!([result]);
    for (name, broken, expect) in [
        ("fatal", fatal, "JSON schema"),
        ("no-rule-id", no_rule_id, "SARIF1010"),
    ] {
        let path = scratch.path().join(format!("broken-{name}.sarif"));
        std::fs::write(&path, serde_json::to_string(&broken).unwrap()).unwrap();
        let problems = validate(&v, &[path], scratch.path());
        assert!(
            problems.iter().any(|p| p.contains(expect)),
            "{name}: expected {expect} in {problems:#?}"
        );
    }
}

/// Byte offset of a 1-based (row, character column) position in `text`.
fn offset_of(text: &str, position: &Value) -> usize {
    let row = position["row"].as_u64().unwrap() as usize;
    let column = position["column"].as_u64().unwrap() as usize;
    let line_start: usize = text.split_inclusive('\n').take(row - 1).map(str::len).sum();
    let line = &text[line_start..];
    line_start
        + line
            .char_indices()
            .nth(column - 1)
            .map_or(line.len(), |(i, _)| i)
}

#[test]
fn applying_the_unused_noqa_fixes_from_json_gives_the_intended_source() {
    let text = "import threading\n\
                threading.Thread(target=print).start()  # noqa: FL101, FL103\n\
                x = 1  # noqa: E501, FL106 long line\n\
                y = 'é'  # type: ignore  # noqa: FL106\n";
    let dir = project(&[("app.py", text)]);
    let run = forklint(
        dir.path(),
        &[
            "check",
            "--output-format",
            "json",
            "--extend-select",
            "FL002",
        ],
    );
    let findings: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("{}", run.describe()));
    let mut edits: Vec<(usize, usize, String)> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "FL002")
        .flat_map(|f| {
            assert_eq!(f["fix"]["applicability"], "safe");
            f["fix"]["edits"].as_array().unwrap().clone()
        })
        .map(|e| {
            (
                offset_of(text, &e["start"]),
                offset_of(text, &e["end"]),
                e["content"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(edits.len(), 3, "{}", run.describe());
    // Apply from the end so earlier offsets stay valid.
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut fixed = text.to_string();
    for (start, end, content) in edits {
        fixed.replace_range(start..end, &content);
    }
    assert_eq!(
        fixed,
        "import threading\n\
         threading.Thread(target=print).start()  # noqa: FL101\n\
         x = 1  # noqa: E501 long line\n\
         y = 'é'  # type: ignore\n"
    );
}
