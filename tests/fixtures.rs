//! Runs `forklint check` on every fixture project and compares its findings with the
//! `# expect: CODE[, CODE]` comments in both directions: every expected finding must be
//! reported, and nothing else may be.
//!
//! A fixture project is a directory under `fixtures/` holding a `fixture.toml`
//! (`description = "…"`, optional `args = [...]` passed to `forklint check`).
//!
//! Two optional lists in `fixture.toml` record where the engine is known to be wrong today, so
//! that a real-world case (`fixtures/recall/`) can state the truth about its code without
//! breaking the build. Each entry is `"FILE:LINE:CODE"`, FILE relative to the fixture:
//!
//! - `missed = ["app.py:12:FL101"]`: expectations the engine is known to miss. Each entry must
//!   match an `# expect:` comment, and the finding must be *absent* from the output: when the
//!   engine starts reporting it, the test fails until the entry is removed. The entries are then
//!   left out of the both-ways comparison.
//! - `false_positives = ["app.py:20:FL401"]`: findings the engine is known to report wrongly
//!   (typically in the `-fixed` twin of a recall case). Each entry must have *no* `# expect:`
//!   comment, and the finding must be *present* in the output: when the engine stops reporting
//!   it, the test fails until the entry is removed. The entries are then left out of the
//!   both-ways comparison.
//!
//! A fixture with a fixable finding has, next to each file the fixes change, the expected
//! result: `name.py` → `name.py.fixed`. `forklint check --fix --unsafe-fixes` on a copy of the
//! project must produce exactly those bytes (and leave every other file alone), the fixed
//! files must parse, and a second run must find nothing more to fix.

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
    /// Expectations the engine is known to miss today (`"FILE:LINE:CODE"`).
    #[serde(default)]
    missed: Vec<String>,
    /// Findings the engine is known to report wrongly today (`"FILE:LINE:CODE"`).
    #[serde(default)]
    false_positives: Vec<String>,
}

/// (file relative to the fixture, 1-based line, code)
type Finding = (String, usize, String);

/// Parses a `missed`/`false_positives` entry, `"FILE:LINE:CODE"` (FILE may itself hold `:`).
fn parse_known(entry: &str) -> Result<Finding, String> {
    let mut parts = entry.rsplitn(3, ':');
    let (Some(code), Some(line), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("`{entry}`: expected FILE:LINE:CODE"));
    };
    let line: usize = line
        .parse()
        .ok()
        .filter(|l| *l > 0)
        .ok_or_else(|| format!("`{entry}`: `{line}` is not a line number"))?;
    let well_formed =
        code.len() == 5 && code.starts_with("FL") && code[2..].bytes().all(|b| b.is_ascii_digit());
    if !well_formed || file.is_empty() {
        return Err(format!(
            "`{entry}`: expected FILE:LINE:CODE with CODE like FL101"
        ));
    }
    Ok((file.to_string(), line, code.to_string()))
}

/// Applies a fixture's known misses and false positives to the comparison: returns the
/// expectations and findings left to compare both ways, or what is inconsistent (an entry
/// without its `# expect:` comment or with one it should not have, a known miss that is now
/// reported, a known false positive that is no longer reported, a malformed entry).
fn apply_known(
    fixture: &FixtureToml,
    expected: &BTreeSet<Finding>,
    found: &BTreeSet<Finding>,
) -> (BTreeSet<Finding>, BTreeSet<Finding>, Vec<String>) {
    let mut expected = expected.clone();
    let mut found = found.clone();
    let mut problems = Vec::new();
    for entry in &fixture.missed {
        let key = match parse_known(entry) {
            Ok(key) => key,
            Err(e) => {
                problems.push(format!("missed {e}"));
                continue;
            }
        };
        if !expected.remove(&key) {
            problems.push(format!(
                "missed `{entry}` has no matching `# expect:` comment"
            ));
        }
        if found.remove(&key) {
            problems.push(format!(
                "missed `{entry}` is now reported: remove it from `missed`"
            ));
        }
    }
    for entry in &fixture.false_positives {
        let key = match parse_known(entry) {
            Ok(key) => key,
            Err(e) => {
                problems.push(format!("false_positives {e}"));
                continue;
            }
        };
        if expected.contains(&key) {
            problems.push(format!(
                "false positive `{entry}` has an `# expect:` comment: it is expected, not false"
            ));
        }
        if !found.remove(&key) {
            problems.push(format!(
                "false positive `{entry}` is no longer reported: remove it from `false_positives`"
            ));
        }
    }
    (expected, found, problems)
}

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
        // Lossily: a fixture may hold a file that is not valid in its encoding (FL001); its
        // `# expect:` comments are ASCII all the same.
        let bytes = std::fs::read(entry.path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
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

/// Runs `forklint check` on a fixture project (its directory as the source root) with `extra`
/// arguments; returns the exit code, stdout and stderr.
fn run_on(dir: &Path, extra: &[&str], args: &[String]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
    // Hermetic: a fixture's environment is its own `.venv`, never the caller's.
    cmd.env_remove("VIRTUAL_ENV").env_remove("CONDA_PREFIX");
    cmd.arg("check").arg(dir).args(["--color", "never"]);
    cmd.arg("--src").arg(dir);
    if dir.join("src").is_dir() {
        cmd.arg("--src").arg(dir.join("src"));
    }
    cmd.args(extra).args(args);
    let output = cmd.output().expect("run forklint");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn files_with_suffix(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().to_string_lossy().ends_with(suffix))
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in WalkDir::new(from).into_iter().filter_map(Result::ok) {
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Checks one fixture's fixes; returns what went wrong, if anything.
fn check_fixes(dir: &Path, args: &[String]) -> Option<String> {
    let expected = files_with_suffix(dir, ".py.fixed");
    // Which files have a fix `--fix --unsafe-fixes` would apply?
    let (_, diff, _) = run_on(dir, &["--diff", "--unsafe-fixes"], args);
    if expected.is_empty() {
        return (!diff.is_empty())
            .then(|| format!("has fixable findings but no `.py.fixed` file:\n{diff}"));
    }
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("project");
    copy_tree(dir, &copy);
    let (code, _, stderr) = run_on(&copy, &["--fix", "--unsafe-fixes", "--quiet"], args);
    if !matches!(code, Some(0 | 1)) {
        return Some(format!("`--fix` exited {code:?}:\n{stderr}"));
    }
    let mut problems = String::new();
    for py in files_with_suffix(dir, ".py") {
        let rel = py.strip_prefix(dir).unwrap();
        let fixed_path = PathBuf::from(format!("{}.fixed", py.display()));
        let want = std::fs::read(if fixed_path.exists() {
            &fixed_path
        } else {
            &py
        })
        .unwrap();
        let got = std::fs::read(copy.join(rel)).unwrap();
        if got != want {
            problems.push_str(&format!(
                "{}: the fixed file differs from {}:\n{}\n",
                rel.display(),
                if fixed_path.exists() {
                    "its `.fixed`"
                } else {
                    "the original (no `.fixed`)"
                },
                String::from_utf8_lossy(&got)
            ));
        } else if fixed_path.exists()
            && let Some(error) = forklint::fix::syntax_error(&String::from_utf8_lossy(&got))
        {
            problems.push_str(&format!(
                "{}: the fixed file does not parse: {error}\n",
                rel.display()
            ));
        }
    }
    // Idempotence: nothing more to fix.
    let (code, diff, stderr) = run_on(&copy, &["--diff", "--unsafe-fixes"], args);
    if code != Some(0) || !diff.is_empty() {
        problems.push_str(&format!(
            "a second run still fixes (exit {code:?}):\n{diff}{stderr}\n"
        ));
    }
    (!problems.is_empty()).then_some(problems)
}

#[test]
fn every_fixable_fixture_fixes_to_its_expected_result() {
    let filter = std::env::var("FORKLINT_FIXTURES").unwrap_or_default();
    let mut failures = Vec::new();
    let mut with_fixes = 0;
    for dir in fixture_dirs()
        .iter()
        .filter(|d| d.to_string_lossy().contains(filter.as_str()))
    {
        let toml_text = std::fs::read_to_string(dir.join("fixture.toml")).unwrap();
        let fixture: FixtureToml = toml::from_str(&toml_text).unwrap();
        with_fixes += usize::from(!files_with_suffix(dir, ".py.fixed").is_empty());
        if let Some(problem) = check_fixes(dir, &fixture.args) {
            failures.push(format!("{}: {problem}", dir.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixtures failed:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    if filter.is_empty() {
        assert!(with_fixes >= 10, "only {with_fixes} fixtures have fixes");
    }
}

fn run_forklint(dir: &Path, extra: &[String]) -> (BTreeSet<Finding>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forklint"));
    // Hermetic: a fixture's environment is its own `.venv`, never the caller's.
    cmd.env_remove("VIRTUAL_ENV").env_remove("CONDA_PREFIX");
    cmd.arg("check")
        .arg(dir)
        .args(["--output-format", "json", "--color", "never", "--quiet"]);
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
    // A finding that stands for others on its statement (`rules::combine`) states their
    // hazards too: `# expect: FL101, FL106` is met by an FL101 that carries FL106.
    let findings: Vec<serde_json::Value> = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{}: unparseable JSON ({e}):\n{stdout}", dir.display()));
    let mut found = BTreeSet::new();
    for f in &findings {
        let path = f["file"].as_str().expect("file");
        let row = f["start"]["row"].as_u64().expect("row") as usize;
        let rel = Path::new(path)
            .strip_prefix(dir)
            .unwrap_or(Path::new(path))
            .to_string_lossy()
            .into_owned();
        let carried = f["also"].as_array().into_iter().flatten();
        for code in std::iter::once(&f["code"]).chain(carried.map(|c| &c["code"])) {
            found.insert((rel.clone(), row, code.as_str().expect("code").to_string()));
        }
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
        let (found, stdout) = run_forklint(dir, &fixture.args);
        let (expected, found, known_problems) = apply_known(&fixture, &expectations(dir), &found);
        let missing: Vec<_> = expected.difference(&found).collect();
        let unexpected: Vec<_> = found.difference(&expected).collect();
        if !missing.is_empty() || !unexpected.is_empty() || !known_problems.is_empty() {
            let name = dir
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(dir)
                .display();
            let mut msg = format!("{name} ({})\n", fixture.description);
            for problem in &known_problems {
                msg.push_str(&format!("  known:      {problem}\n"));
            }
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

fn finding(file: &str, line: usize, code: &str) -> Finding {
    (file.to_string(), line, code.to_string())
}

#[test]
fn known_misses_and_false_positives_parse_and_apply() {
    assert_eq!(
        parse_known("app.py:12:FL101"),
        Ok(finding("app.py", 12, "FL101"))
    );
    assert_eq!(
        parse_known("pkg/sub:dir/m.py:3:FL405"),
        Ok(finding("pkg/sub:dir/m.py", 3, "FL405"))
    );
    for bad in [
        "app.py:12",
        "app.py:0:FL101",
        "app.py:x:FL101",
        ":3:FL101",
        "a.py:3:E501",
    ] {
        assert!(parse_known(bad).is_err(), "{bad} should not parse");
    }
    let fixture: FixtureToml = toml::from_str(
        "description = \"d\"\nmissed = [\"a.py:1:FL101\"]\nfalse_positives = [\"a.py:9:FL401\"]\n",
    )
    .unwrap();
    assert!(toml::from_str::<FixtureToml>("description = \"d\"\nmised = []\n").is_err());
    let expected = BTreeSet::from([finding("a.py", 1, "FL101"), finding("a.py", 2, "FL106")]);
    // As the engine is today: misses FL101, reports FL106 and a false FL401.
    let found = BTreeSet::from([finding("a.py", 2, "FL106"), finding("a.py", 9, "FL401")]);
    let (e, f, problems) = apply_known(&fixture, &expected, &found);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(e, f);
    // The engine improves: the miss is found and the false positive is gone. Both must be
    // noticed, so that the manifest is updated.
    let better = BTreeSet::from([finding("a.py", 1, "FL101"), finding("a.py", 2, "FL106")]);
    let (_, _, problems) = apply_known(&fixture, &expected, &better);
    assert_eq!(problems.len(), 2, "{problems:?}");
    // A miss without its `# expect:` comment, and a false positive that has one.
    let (_, _, problems) = apply_known(
        &fixture,
        &BTreeSet::from([finding("a.py", 9, "FL401")]),
        &found,
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
}
