//! The CI output formats Ruff has (`--output-format gitlab|junit|json-lines|rdjson|pylint|
//! azure`, `full`, and the `[*]` fixable marker of `concise`), run with the real binary on one
//! project with several findings, and read back by their consumers: GitLab's Code Quality
//! entry schema and reviewdog's rdjson schema (vendored in `tests/schemas/`, checked by Python
//! `jsonschema`) and `junitparser` for JUnit XML, all through `scripts/validate_reports.py`.
//! `scripts/test.sh` installs them into `target/test-tools/venv`; without them those tests
//! fail, unless `FORKLINT_SKIP_EXTERNAL=1`. Every format's positions are checked against
//! `json`'s.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{Run, forklint, project, run_command, write};
use tempfile::TempDir;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `app.py` starts a thread at import time after non-ASCII text on its line (FL101),
/// `bin/main.py`, a script of another directory, imports it (FL105), `launch.py` has a safely fixable FL203 and an unsafely fixable FL204.
const UTIL: &str = "import threading\n\ndef start():\n    threading.Thread(target=print).start()\n";
const APP: &str = "import util\né = 'ü'; util.start()\n";
const LAUNCH: &str = "import multiprocessing\nimport os\nimport subprocess\n\n\ndef launch(cmd):\n    return subprocess.Popen(cmd, preexec_fn=os.setsid)\n\n\ndef main():\n    multiprocessing.set_start_method(\"fork\")\n";

fn sample() -> TempDir {
    project(&[
        ("bin/main.py", "import app\n"),
        ("app.py", APP),
        ("util.py", UTIL),
        ("launch.py", LAUNCH),
    ])
}

fn check(dir: &Path, format: &str, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--isolated", "--output-format", format];
    args.extend_from_slice(extra);
    forklint(dir, &args)
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{text}"))
}

/// The findings as `json` reports them: the reference for every other format.
fn reference(dir: &Path) -> Vec<Value> {
    let run = check(dir, "json", &[]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    let findings = json_of(&run.stdout).as_array().unwrap().clone();
    let mut codes: Vec<&str> = findings
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        ["FL101", "FL105", "FL203", "FL204"],
        "the sample changed"
    );
    findings
}

fn row_col(p: &Value) -> (u64, u64) {
    (p["row"].as_u64().unwrap(), p["column"].as_u64().unwrap())
}

/// `./app.py` → `app.py`: the CI formats print paths relative to the working directory.
fn plain(file: &Value) -> String {
    file.as_str().unwrap().trim_start_matches("./").to_string()
}

/// A machine format: stdout is the report alone, the summary is on stderr.
fn assert_summary_on_stderr(run: &Run) {
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(!run.stdout.contains("Found "), "{}", run.describe());
    assert!(
        run.stderr.contains("Found 4 hazards in 3 files."),
        "{}",
        run.describe()
    );
}

/// The Python of `target/test-tools/venv` (jsonschema, junitparser), or `None` when it may be
/// skipped.
fn python() -> Option<PathBuf> {
    let python = repo().join("target/test-tools/venv/bin/python");
    let ready = python.exists()
        && Command::new(&python)
            .args(["-c", "import jsonschema, junitparser"])
            .output()
            .is_ok_and(|o| o.status.success());
    if ready {
        return Some(python);
    }
    if std::env::var_os("FORKLINT_SKIP_EXTERNAL").is_some_and(|v| v == "1") {
        eprintln!("FORKLINT_SKIP_EXTERNAL=1: report validators skipped");
        return None;
    }
    panic!(
        "jsonschema and junitparser are not installed in {}: run `bash scripts/test.sh` (it \
         installs them), or set FORKLINT_SKIP_EXTERNAL=1 to skip this test",
        python.display()
    );
}

/// `scripts/validate_reports.py KIND [SCHEMA] FILE` on `document`.
fn validate(python: &Path, kind: &str, schema: Option<&str>, document: &str) -> Run {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("report");
    std::fs::write(&file, document).unwrap();
    let mut cmd = Command::new(python);
    cmd.arg(repo().join("scripts/validate_reports.py"))
        .arg(kind);
    if let Some(schema) = schema {
        cmd.arg(repo().join("tests/schemas").join(schema));
    }
    cmd.arg(&file);
    run_command(cmd)
}

// ---------------------------------------------------------------------------------------------
// gitlab
// ---------------------------------------------------------------------------------------------

const GITLAB_SCHEMA: &str = "gitlab-codeclimate.json";

#[test]
fn gitlab_report_passes_gitlabs_schema_and_matches_the_findings() {
    let dir = sample();
    let expected = reference(dir.path());
    let run = check(dir.path(), "gitlab", &[]);
    assert_summary_on_stderr(&run);
    let issues = json_of(&run.stdout);
    let issues = issues.as_array().expect("GitLab reads an array");
    assert_eq!(issues.len(), expected.len());
    let mut fingerprints = std::collections::HashSet::new();
    for (issue, f) in issues.iter().zip(&expected) {
        assert_eq!(issue["check_name"], f["code"]);
        assert_eq!(
            issue["description"],
            format!(
                "{}: {}",
                f["code"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        );
        let severity = issue["severity"].as_str().unwrap();
        assert!(
            ["info", "minor", "major", "critical", "blocker"].contains(&severity),
            "{issue}"
        );
        assert_eq!(
            severity,
            if f["severity"] == "error" {
                "major"
            } else {
                "minor"
            }
        );
        assert_eq!(issue["location"]["path"], plain(&f["file"]));
        let positions = &issue["location"]["positions"];
        for (end, key) in [("begin", "start"), ("end", "end")] {
            assert_eq!(
                (
                    positions[end]["line"].as_u64().unwrap(),
                    positions[end]["column"].as_u64().unwrap()
                ),
                row_col(&f[key]),
                "{issue}"
            );
        }
        let fingerprint = issue["fingerprint"].as_str().unwrap();
        assert!(fingerprint.len() == 16 && fingerprint.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(
            fingerprints.insert(fingerprint.to_string()),
            "unique: {fingerprint}"
        );
    }
    if let Some(python) = python() {
        let valid = validate(&python, "gitlab", Some(GITLAB_SCHEMA), &run.stdout);
        assert_eq!(valid.code(), Some(0), "{}", valid.describe());
        // The check can fail: an entry without a fingerprint, or a line that is not a number.
        let mut broken = issues.clone();
        broken[0].as_object_mut().unwrap().remove("fingerprint");
        broken[1]["location"]["positions"]["begin"]["line"] = "2".into();
        let invalid = validate(
            &python,
            "gitlab",
            Some(GITLAB_SCHEMA),
            &serde_json::to_string(&broken).unwrap(),
        );
        assert_eq!(invalid.code(), Some(1), "{}", invalid.describe());
        assert!(
            invalid
                .stdout
                .contains("'fingerprint' is a required property")
        );
        assert!(invalid.stdout.contains("/1/location/positions/begin/line"));
    }
    // No findings: an empty array.
    let clean = project(&[("ok.py", "x = 1\n")]);
    let run = check(clean.path(), "gitlab", &[]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert_eq!(json_of(&run.stdout), serde_json::json!([]));
}

#[test]
fn gitlab_fingerprints_survive_moved_lines_and_paths_follow_ci_project_dir() {
    let dir = sample();
    let fingerprints = |dir: &Path| -> Vec<(String, u64)> {
        let run = check(dir, "gitlab", &[]);
        json_of(&run.stdout)
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["fingerprint"].as_str().unwrap().to_string(),
                    i["location"]["positions"]["begin"]["line"]
                        .as_u64()
                        .unwrap(),
                )
            })
            .collect()
    };
    let before = fingerprints(dir.path());
    write(dir.path(), "launch.py", format!("# a comment\n\n{LAUNCH}"));
    let after = fingerprints(dir.path());
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.0, a.0, "same fingerprint");
    }
    assert!(
        before.iter().zip(&after).any(|(b, a)| b.1 != a.1),
        "some lines moved"
    );

    // In a GitLab job, paths are relative to the checkout (CI_PROJECT_DIR), wherever forklint
    // runs.
    let outer = tempfile::tempdir().unwrap();
    let sub = outer.path().join("service");
    for (name, text) in [
        ("bin/main.py", "import app\n"),
        ("app.py", APP),
        ("util.py", UTIL),
    ] {
        write(&sub, name, text);
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
    cmd.args(["check", "--isolated", "--output-format", "gitlab", "."])
        .current_dir(&sub)
        .env("CI_PROJECT_DIR", outer.path());
    let run = run_command(cmd);
    let paths: Vec<Value> = json_of(&run.stdout)
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["location"]["path"].clone())
        .collect();
    assert_eq!(
        paths,
        ["service/app.py", "service/bin/main.py"],
        "{}",
        run.describe()
    );
}

// ---------------------------------------------------------------------------------------------
// junit
// ---------------------------------------------------------------------------------------------

#[test]
fn junit_report_reads_back_with_junitparser() {
    // A directory name XML must escape.
    let outer = tempfile::tempdir().unwrap();
    let sub = "a&b<c>";
    for (name, text) in [
        ("bin/main.py", "import app\n"),
        ("app.py", APP),
        ("util.py", UTIL),
        ("launch.py", LAUNCH),
    ] {
        write(&outer.path().join(sub), name, text);
    }
    let expected = {
        let run = check(outer.path(), "json", &[sub]);
        json_of(&run.stdout).as_array().unwrap().clone()
    };
    assert_eq!(expected.len(), 4);
    let run = check(outer.path(), "junit", &[sub]);
    assert_summary_on_stderr(&run);
    assert!(
        run.stdout
            .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
    );
    assert!(
        run.stdout.contains("a&amp;b&lt;c&gt;/app.py"),
        "{}",
        run.stdout
    );
    let Some(python) = python() else { return };
    let read = validate(&python, "junit", None, &run.stdout);
    assert_eq!(read.code(), Some(0), "{}", read.describe());
    let report = json_of(&read.stdout);
    assert_eq!(report["name"], "forklint");
    assert_eq!(report["tests"], 4);
    assert_eq!(report["failures"], 4);
    // One suite per file, sorted by path; one failing case per finding.
    let suites = report["suites"].as_array().unwrap();
    let names: Vec<&str> = suites.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["a&b<c>/app.py", "a&b<c>/bin/main.py", "a&b<c>/launch.py"]
    );
    for suite in suites {
        assert_eq!(suite["package"], "org.forklint");
        let path = suite["name"].as_str().unwrap();
        let mine: Vec<&Value> = expected.iter().filter(|f| f["file"] == path).collect();
        let cases = suite["cases"].as_array().unwrap();
        assert_eq!(suite["tests"], mine.len());
        assert_eq!(suite["failures"], mine.len());
        assert_eq!(cases.len(), mine.len());
        for (case, f) in cases.iter().zip(mine) {
            let message = f["message"].as_str().unwrap();
            let (row, col) = row_col(&f["start"]);
            assert_eq!(
                case["name"],
                format!("org.forklint.{}", f["code"].as_str().unwrap())
            );
            assert_eq!(case["classname"], path.trim_end_matches(".py"));
            assert_eq!(case["passed"], false);
            assert_eq!(case["attributes"]["line"], row.to_string());
            assert_eq!(case["attributes"]["column"], col.to_string());
            assert_eq!(case["properties"]["severity"], f["severity"]);
            assert_eq!(
                case["results"],
                serde_json::json!([{
                    "kind": "Failure",
                    "message": message,
                    "text": format!("line {row}, col {col}, {message}"),
                }])
            );
        }
    }
    // No findings: one passing test case.
    let clean = project(&[("ok.py", "x = 1\n")]);
    let run = check(clean.path(), "junit", &[]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let read = validate(&python, "junit", None, &run.stdout);
    let report = json_of(&read.stdout);
    assert_eq!(report["tests"], 1);
    assert_eq!(report["failures"], 0);
    assert_eq!(report["suites"][0]["cases"][0]["name"], "No errors found");
    assert_eq!(report["suites"][0]["cases"][0]["passed"], true);
    // The check can fail: junitparser rejects a document that is not XML.
    let broken = validate(
        &python,
        "junit",
        None,
        &run.stdout.replace("</testsuites>", ""),
    );
    assert_ne!(broken.code(), Some(0), "{}", broken.describe());
}

// ---------------------------------------------------------------------------------------------
// json-lines
// ---------------------------------------------------------------------------------------------

#[test]
fn json_lines_are_the_json_array_one_object_per_line() {
    let dir = sample();
    let expected = reference(dir.path());
    let run = check(dir.path(), "json-lines", &[]);
    assert_summary_on_stderr(&run);
    let lines: Vec<Value> = run.stdout.lines().map(json_of).collect();
    assert_eq!(lines, expected);
    assert!(run.stdout.ends_with("}\n"));
    let clean = project(&[("ok.py", "x = 1\n")]);
    let run = check(clean.path(), "json-lines", &[]);
    assert_eq!(
        (run.code(), run.stdout.as_str()),
        (Some(0), ""),
        "{}",
        run.describe()
    );
}

// ---------------------------------------------------------------------------------------------
// rdjson
// ---------------------------------------------------------------------------------------------

const RDJSON_SCHEMA: &str = "reviewdog-DiagnosticResult.json";

/// Byte offset of a 1-based (line, byte column) position in `text`.
fn byte_offset(text: &str, p: &Value) -> usize {
    let line = p["line"].as_u64().unwrap() as usize;
    let column = p["column"].as_u64().unwrap() as usize;
    let start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    start + column - 1
}

#[test]
fn rdjson_passes_reviewdogs_schema_and_its_suggestions_are_the_fixes() {
    let dir = sample();
    let expected = reference(dir.path());
    let run = check(dir.path(), "rdjson", &[]);
    assert_summary_on_stderr(&run);
    let result = json_of(&run.stdout);
    assert_eq!(result["source"]["name"], "forklint");
    let diagnostics = result["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), expected.len());
    for (d, f) in diagnostics.iter().zip(&expected) {
        assert_eq!(d["code"]["value"], f["code"]);
        assert_eq!(d["code"]["url"], f["url"]);
        assert_eq!(d["message"], f["message"]);
        assert_eq!(
            d["severity"],
            f["severity"].as_str().unwrap().to_uppercase()
        );
        assert_eq!(d["location"]["path"], plain(&f["file"]));
        // Columns count UTF-8 bytes: the range is the text json's character range covers.
        let text = std::fs::read_to_string(dir.path().join(plain(&f["file"]))).unwrap();
        let range = &d["location"]["range"];
        let got = &text[byte_offset(&text, &range["start"])..byte_offset(&text, &range["end"])];
        let line = text
            .lines()
            .nth(row_col(&f["start"]).0 as usize - 1)
            .unwrap();
        let chars: String = line
            .chars()
            .skip(row_col(&f["start"]).1 as usize - 1)
            .take((row_col(&f["end"]).1 - row_col(&f["start"]).1) as usize)
            .collect();
        assert_eq!(got, chars, "{d}");
        // A suggestion for every fix with edits, safe or unsafe (a person reviews it).
        assert_eq!(
            d.get("suggestions").is_some(),
            !f["fix"].is_null() && !f["fix"]["edits"].as_array().unwrap().is_empty(),
            "{d}"
        );
    }
    let app = diagnostics
        .iter()
        .find(|d| d["code"]["value"] == "FL101")
        .unwrap();
    let line = "é = 'ü'; util.start()";
    assert_eq!(
        app["location"]["range"]["start"],
        serde_json::json!({"line": 2, "column": line.find("util").unwrap() + 1})
    );
    // Applying the FL203 suggestion gives what `--fix` writes.
    let fl203 = diagnostics
        .iter()
        .find(|d| d["code"]["value"] == "FL203")
        .unwrap();
    let mut fixed = LAUNCH.to_string();
    let mut suggestions = fl203["suggestions"].as_array().unwrap().clone();
    suggestions.sort_by_key(|s| std::cmp::Reverse(byte_offset(LAUNCH, &s["range"]["start"])));
    for s in suggestions {
        let (start, end) = (
            byte_offset(LAUNCH, &s["range"]["start"]),
            byte_offset(LAUNCH, &s["range"]["end"]),
        );
        fixed.replace_range(start..end, s["text"].as_str().unwrap());
    }
    let fix_run = forklint(
        dir.path(),
        &["check", "--isolated", "--fix", "--select", "FL203", "."],
    );
    assert_eq!(fix_run.code(), Some(0), "{}", fix_run.describe());
    assert_eq!(
        fixed,
        std::fs::read_to_string(dir.path().join("launch.py")).unwrap()
    );

    if let Some(python) = python() {
        let valid = validate(&python, "rdjson", Some(RDJSON_SCHEMA), &run.stdout);
        assert_eq!(valid.code(), Some(0), "{}", valid.describe());
        // The check can fail: a severity reviewdog does not have, a line that is not a number.
        let mut broken = result.clone();
        broken["diagnostics"][0]["severity"] = "FATAL".into();
        broken["diagnostics"][1]["location"]["range"]["start"]["line"] = "1".into();
        let invalid = validate(
            &python,
            "rdjson",
            Some(RDJSON_SCHEMA),
            &serde_json::to_string(&broken).unwrap(),
        );
        assert_eq!(invalid.code(), Some(1), "{}", invalid.describe());
        assert!(
            invalid.stdout.contains("'FATAL' is not one of"),
            "{}",
            invalid.describe()
        );
        assert!(
            invalid
                .stdout
                .contains("/diagnostics/1/location/range/start/line")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// pylint, azure
// ---------------------------------------------------------------------------------------------

#[test]
fn pylint_lines_have_pylints_parseable_shape() {
    let dir = sample();
    let expected = reference(dir.path());
    let run = check(dir.path(), "pylint", &[]);
    assert_summary_on_stderr(&run);
    let want: Vec<String> = expected
        .iter()
        .map(|f| {
            format!(
                "{}:{}: [{}] {}",
                plain(&f["file"]),
                row_col(&f["start"]).0,
                f["code"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), want);
    assert!(
        run.stdout
            .starts_with("app.py:2: [FL101] `util.start()` starts a thread")
    );
}

#[test]
fn azure_lines_are_logging_commands_with_escaped_properties() {
    let outer = tempfile::tempdir().unwrap();
    let sub = "we;ird]dir";
    write(&outer.path().join(sub), "launch.py", LAUNCH);
    // FL201 is an error, FL203 and FL204 warnings.
    write(
        &outer.path().join(sub),
        "fork.py",
        "import os\nimport threading\n\n\ndef main():\n    \
         threading.Thread(target=print).start()\n    os.fork()\n",
    );
    let expected = json_of(&check(outer.path(), "json", &[sub]).stdout);
    let expected = expected.as_array().unwrap();
    assert_eq!(expected.len(), 3);
    let run = check(outer.path(), "azure", &[sub]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(
        run.stderr.contains("Found 3 hazards in 2 files."),
        "{}",
        run.describe()
    );
    let want: Vec<String> = expected
        .iter()
        .map(|f| {
            let (row, col) = row_col(&f["start"]);
            let kind = if f["severity"] == "error" {
                "error"
            } else {
                "warning"
            };
            let name = f["file"].as_str().unwrap().rsplit('/').next().unwrap();
            format!(
                "##vso[task.logissue type={kind};sourcepath=we%3Bird%5Ddir/{name};\
                 linenumber={row};columnnumber={col};code={};]{}",
                f["code"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), want);
    assert!(want.iter().any(|l| l.contains("type=error")), "{want:?}");
    assert!(want.iter().any(|l| l.contains("type=warning")), "{want:?}");
}

// ---------------------------------------------------------------------------------------------
// concise's [*], full, and what the formats share
// ---------------------------------------------------------------------------------------------

#[test]
fn concise_marks_what_fix_would_fix() {
    let dir = sample();
    let run = check(dir.path(), "concise", &["--color", "never"]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    let line = |code: &str| -> String {
        run.stdout
            .lines()
            .find(|l| l.contains(&format!(": {code} ")))
            .unwrap_or_else(|| panic!("no {code}: {}", run.describe()))
            .to_string()
    };
    assert!(line("FL203").starts_with("./launch.py:7:12: FL203 [*] `subprocess.Popen("));
    // An unsafe fix is marked only when `--unsafe-fixes` would apply it; no fix, no marker.
    assert!(
        line("FL204").starts_with("./launch.py:11:5: FL204 `multiprocessing"),
        "{}",
        line("FL204")
    );
    assert!(!line("FL101").contains("[*]"));
    assert!(
        run.stdout.ends_with(
            "Found 4 hazards in 3 files.\n[*] 1 fixable with `--fix` (1 hidden fix can be \
             enabled with `--unsafe-fixes`).\n"
        ),
        "{}",
        run.describe()
    );
    let run = check(
        dir.path(),
        "concise",
        &["--color", "never", "--unsafe-fixes"],
    );
    let marked: Vec<&str> = run.stdout.lines().filter(|l| l.contains(" [*] ")).collect();
    assert_eq!(marked.len(), 2, "{}", run.describe());
    assert!(marked[1].contains(": FL204 [*] "), "{marked:?}");
    assert!(
        run.stdout
            .ends_with("[*] 2 fixable with `--fix --unsafe-fixes`.\n"),
        "{}",
        run.describe()
    );
}

#[test]
fn full_is_text_by_its_ruff_name_on_the_command_line_and_in_configuration() {
    let dir = sample();
    let text = check(dir.path(), "text", &["--color", "never"]);
    let full = check(dir.path(), "full", &["--color", "never"]);
    assert_eq!(text.code(), Some(1));
    assert_eq!(full.stdout, text.stdout);
    assert!(
        full.stdout
            .contains("warning[FL101 import-time-thread-start]")
    );
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.forklint]\noutput-format = \"full\"\n",
    );
    let configured = forklint(dir.path(), &["check", "--color", "never"]);
    assert_eq!(configured.stdout, text.stdout, "{}", configured.describe());
    // An unknown name lists every format.
    write(
        dir.path(),
        "pyproject.toml",
        "[tool.forklint]\noutput-format = \"xml\"\n",
    );
    let bad = forklint(dir.path(), &["check"]);
    assert_eq!(bad.code(), Some(2), "{}", bad.describe());
    assert!(
        bad.stderr.contains(
            "expected one of: text, concise, json, json-lines, sarif, github, gitlab, junit, \
             rdjson, pylint, azure"
        ),
        "{}",
        bad.describe()
    );
}

#[test]
fn statistics_and_output_file_work_with_the_new_formats_as_with_the_old() {
    let dir = sample();
    for format in ["gitlab", "junit", "json-lines", "rdjson", "pylint", "azure"] {
        let run = check(dir.path(), format, &["--statistics"]);
        assert_eq!(run.code(), Some(2), "{format}: {}", run.describe());
        assert!(
            run.stderr
                .contains("--statistics works with the text, concise and json")
        );
        let out = tempfile::tempdir().unwrap();
        let target = out.path().join("report");
        let run = check(dir.path(), format, &["-o", target.to_str().unwrap()]);
        assert_eq!(run.code(), Some(1), "{format}: {}", run.describe());
        assert_eq!(
            run.stdout.lines().next(),
            Some("Found 4 hazards in 3 files.")
        );
        let direct = check(dir.path(), format, &[]);
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            direct.stdout,
            "{format}"
        );
    }
}
