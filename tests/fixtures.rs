//! Runs `forklint check` on every fixture project and compares its findings with the
//! `# expect: CODE[, CODE]` comments in both directions: every expected finding must be
//! reported, and nothing else may be.
//!
//! A fixture project is a directory under `fixtures/` holding a `fixture.toml`
//! (`description = "…"`, optional `args = [...]` passed to `forklint check`).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use support::fixture_dirs;
use walkdir::WalkDir;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureToml {
    description: String,
    #[serde(default)]
    args: Vec<String>,
}

/// (file relative to the fixture, 1-based line, code)
type Finding = (String, usize, String);

fn expectations(dir: &Path) -> BTreeSet<Finding> {
    let mut out = BTreeSet::new();
    for entry in WalkDir::new(dir).into_iter().filter_map(Result::ok) {
        if entry.path().extension().is_none_or(|e| e != "py") {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for (i, line) in text.lines().enumerate() {
            if let Some((_, codes)) = line.split_once("# expect:") {
                for code in codes.split(',') {
                    let code = code.trim();
                    assert!(
                        code.len() == 5 && code.starts_with("FL"),
                        "{rel}:{}: malformed expectation `{code}`",
                        i + 1
                    );
                    out.insert((rel.clone(), i + 1, code.to_string()));
                }
            }
        }
    }
    out
}

fn run_forklint(dir: &Path, extra: &[String]) -> (BTreeSet<Finding>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
    cmd.arg("check")
        .arg(dir)
        .args(["--output-format", "concise", "--color", "never", "--quiet"]);
    // The fixture directory is the project root of its little project.
    cmd.arg("--src").arg(dir);
    if dir.join("src").is_dir() {
        cmd.arg("--src").arg(dir.join("src"));
    }
    cmd.args(extra);
    let output = cmd.output().expect("run forklint");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "{}: exit {code:?}\n{stderr}",
        dir.display()
    );
    let mut found = BTreeSet::new();
    for line in stdout.lines() {
        // path:line:col: CODE message
        let mut parts = line.splitn(4, ':');
        let (Some(path), Some(row), Some(_col), Some(rest)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            panic!("unparseable line: {line}");
        };
        let code = rest.split_whitespace().next().unwrap_or("").to_string();
        let rel = Path::new(path)
            .strip_prefix(dir)
            .unwrap_or(Path::new(path))
            .to_string_lossy()
            .into_owned();
        found.insert((rel, row.parse().unwrap(), code));
    }
    // Info-level findings are shown (with `--show-info`) but never change the exit code.
    let has_findings = found.iter().any(|(_, _, code)| {
        forklint::rules::by_code(code)
            .is_none_or(|r| r.severity != forklint::diagnostic::Severity::Info)
    });
    assert_eq!(
        code == Some(1),
        has_findings,
        "{}: exit code {code:?} disagrees with findings",
        dir.display()
    );
    (found, stdout)
}

#[test]
fn every_fixture_matches_its_expectations() {
    let dirs = fixture_dirs();
    assert!(
        dirs.len() >= 20,
        "expected the fixture projects, found {}",
        dirs.len()
    );
    // For working on a few fixtures: `FORKLINT_FIXTURES=fl30 cargo test --test fixtures`.
    let filter = std::env::var("FORKLINT_FIXTURES").unwrap_or_default();
    let mut failures = Vec::new();
    for dir in dirs
        .iter()
        .filter(|d| d.to_string_lossy().contains(filter.as_str()))
    {
        let toml_text = std::fs::read_to_string(dir.join("fixture.toml")).unwrap();
        let fixture: FixtureToml = toml::from_str(&toml_text)
            .unwrap_or_else(|e| panic!("{}/fixture.toml: {e}", dir.display()));
        assert!(!fixture.description.trim().is_empty());
        let expected = expectations(dir);
        let (found, stdout) = run_forklint(dir, &fixture.args);
        let missing: Vec<_> = expected.difference(&found).collect();
        let unexpected: Vec<_> = found.difference(&expected).collect();
        if !missing.is_empty() || !unexpected.is_empty() {
            let name = dir
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(dir)
                .display();
            let mut msg = format!("{name} ({})\n", fixture.description);
            for (f, l, c) in &missing {
                msg.push_str(&format!("  missing:    {f}:{l} {c}\n"));
            }
            for (f, l, c) in &unexpected {
                msg.push_str(&format!("  unexpected: {f}:{l} {c}\n"));
            }
            msg.push_str(&format!(
                "  output:\n{}",
                stdout
                    .lines()
                    .map(|l| format!("    {l}\n"))
                    .collect::<String>()
            ));
            failures.push(msg);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_has_three_positive_and_three_negative_fixtures() {
    // Positive: a fixture expecting the code. Negative: a fixture named `neg-*` under the
    // rule's directory (it states, by having no such expectation, that the rule stays quiet).
    for rule in forklint::rules::RULES.iter().filter(|r| {
        r.code.starts_with("FL1")
            || r.code.starts_with("FL2")
            || r.code.starts_with("FL3")
            || r.code.starts_with("FL4")
    }) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(rule.code.to_lowercase());
        let cases: Vec<PathBuf> = fixture_dirs()
            .into_iter()
            .filter(|d| d.starts_with(&dir))
            .collect();
        let positive = cases
            .iter()
            .filter(|d| expectations(d).iter().any(|(_, _, c)| c == rule.code))
            .count();
        let negative = cases
            .iter()
            .filter(|d| d.file_name().unwrap().to_string_lossy().starts_with("neg-"))
            .filter(|d| !expectations(d).iter().any(|(_, _, c)| c == rule.code))
            .count();
        assert!(positive >= 3, "{}: {positive} positive fixtures", rule.code);
        assert!(negative >= 3, "{}: {negative} negative fixtures", rule.code);
    }
}
