//! One statement, one finding (`src/rules/combine.rs`): what every output, `--statistics`,
//! the selection and `# noqa` make of the findings of several rules at one statement.

mod support;

use serde_json::Value;
use support::{concise, forklint, project};

/// A daemon thread that loops doing Python work, started at import: FL101, FL106 and FL401
/// at one statement. `main.py` is a loose module beside it (no FL105).
fn daemon_at_import(directive: &str) -> tempfile::TempDir {
    let worker = format!(
        "import threading\nimport time\n\n\ndef beat():\n    while True:\n        time.sleep(1)\n\n\n\
         threading.Thread(target=beat, daemon=True).start(){directive}\n"
    );
    project(&[
        ("worker.py", worker.as_str()),
        ("main.py", "import worker\n"),
    ])
}

fn finding_lines(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.contains(": FL")).collect()
}

#[test]
fn one_finding_shown_with_the_others_as_notes_in_every_format() {
    let dir = daemon_at_import("");
    let run = concise(dir.path(), &[]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    let lines = finding_lines(&run.stdout);
    assert_eq!(lines.len(), 1, "{}", run.describe());
    assert!(lines[0].contains(": FL101 "), "{}", lines[0]);
    assert!(lines[0].ends_with(" (also FL106, FL401)"), "{}", lines[0]);
    assert_eq!(run.last_stdout_line(), "Found 1 hazard in 1 file.");

    let text = forklint(dir.path(), &["check", "--color", "never"]);
    assert!(
        text.stdout
            .contains("= note: also FL106 import-time-daemon-thread: starts a daemon thread"),
        "{}",
        text.describe()
    );
    assert!(
        text.stdout
            .contains("= note: also FL401 daemon-thread-python-work:"),
        "{}",
        text.describe()
    );

    let json = forklint(dir.path(), &["check", "--output-format", "json"]);
    let findings: Value = serde_json::from_str(&json.stdout).unwrap();
    let findings = findings.as_array().unwrap();
    assert_eq!(findings.len(), 1);
    let also: Vec<&str> = findings[0]["also"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(also, ["FL106", "FL401"]);

    let sarif = forklint(dir.path(), &["check", "--output-format", "sarif"]);
    let log: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "FL101");
    assert_eq!(
        results[0]["properties"]["forklint/also"],
        serde_json::json!(["FL106", "FL401"])
    );
    assert!(
        results[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("\nalso FL106 import-time-daemon-thread: "),
        "{}",
        sarif.stdout
    );

    // --statistics counts what is shown.
    let stats = forklint(dir.path(), &["check", "--statistics"]);
    assert!(
        stats
            .stdout
            .starts_with("1  FL101  import-time-thread-start\n"),
        "{}",
        stats.describe()
    );
    assert!(!stats.stdout.contains("FL106"), "{}", stats.describe());
}

#[test]
fn an_unselected_rule_neither_carries_nor_is_carried() {
    let dir = daemon_at_import("");
    let run = concise(dir.path(), &["--ignore", "FL101"]);
    let lines = finding_lines(&run.stdout);
    assert_eq!(lines.len(), 2, "{}", run.describe());
    // The thread start is no longer reported where it is, so the import that runs it is.
    assert!(
        lines[0].starts_with("./main.py:1:8: FL105 "),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(": FL106 ") && lines[1].ends_with(" (also FL401)"),
        "{}",
        lines[1]
    );

    let only = concise(dir.path(), &["--select", "FL106"]);
    let lines = finding_lines(&only.stdout);
    assert_eq!(lines.len(), 1, "{}", only.describe());
    assert!(!lines[0].contains("(also"), "{}", lines[0]);
}

#[test]
fn noqa_for_the_shown_code_suppresses_it_all_and_for_a_carried_code_drops_that_note() {
    let all = daemon_at_import("  # noqa: FL101");
    let run = concise(all.path(), &["--extend-select", "FL002"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());

    let note = daemon_at_import("  # noqa: FL106");
    let run = concise(note.path(), &["--extend-select", "FL002"]);
    let lines = finding_lines(&run.stdout);
    // The FL106 directive is used (no FL002): it dropped the FL106 note.
    assert_eq!(lines.len(), 1, "{}", run.describe());
    assert!(lines[0].ends_with(" (also FL401)"), "{}", lines[0]);

    // A directive written before findings were combined keeps working, every code used.
    let old = daemon_at_import("  # noqa: FL101, FL106, FL401");
    let run = concise(old.path(), &["--extend-select", "FL002"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());

    // --add-noqa writes the shown code only, and a second run has nothing to add.
    let dir = daemon_at_import("");
    let add = forklint(dir.path(), &["check", "--add-noqa", "."]);
    assert!(
        add.stderr.contains("Added 1 noqa directive"),
        "{}",
        add.describe()
    );
    let text = std::fs::read_to_string(dir.path().join("worker.py")).unwrap();
    assert!(text.contains(".start()  # noqa: FL101\n"), "{text}");
    let again = concise(dir.path(), &[]);
    assert_eq!(again.code(), Some(0), "{}", again.describe());
}

#[test]
fn fl105_is_reported_only_from_another_package() {
    let dir = project(&[
        ("pkg/__init__.py", ""),
        (
            "pkg/worker.py",
            "import threading\nthreading.Thread(target=print).start()\n",
        ),
        ("pkg/user.py", "from pkg import worker\n"),
        ("other/__init__.py", ""),
        ("other/main.py", "import pkg.worker\n"),
    ]);
    let run = concise(dir.path(), &[]);
    let fl105: Vec<&str> = finding_lines(&run.stdout)
        .into_iter()
        .filter(|l| l.contains(": FL105 "))
        .collect();
    assert_eq!(fl105.len(), 1, "{}", run.describe());
    assert!(fl105[0].starts_with("./other/main.py:1:"), "{}", fl105[0]);
}
