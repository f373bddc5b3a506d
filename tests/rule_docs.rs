//! Rule documentation from one source: `forklint rule` (text, JSON, `--all`), `forklint rules`,
//! and the generated pages under `docs/rules/`, which must match the metadata.

mod support;

use std::path::Path;

use forklint::rules::{RULES, docs};
use support::{forklint, write};

fn codes() -> Vec<&'static str> {
    RULES.iter().map(|r| r.code).collect()
}

#[test]
fn rule_all_prints_every_rule_in_code_order() {
    let dir = tempfile::tempdir().unwrap();
    let run = forklint(dir.path(), &["rule", "--all"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let headings: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        // Code examples in the docs hold Python comments such as `# app.py`.
        .filter(|l| l.starts_with("FL"))
        .collect();
    let expected: Vec<String> = RULES
        .iter()
        .map(|r| format!("{} {}", r.code, r.name))
        .collect();
    assert_eq!(headings, expected, "{}", run.describe());
    for r in RULES {
        assert!(run.stdout.contains(r.doc), "{} doc missing", r.code);
    }
}

#[test]
fn rule_text_shows_the_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let run = forklint(dir.path(), &["rule", "FL107"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let rule = forklint::rules::by_code("FL107").unwrap();
    for needle in [
        "# FL107 mp-start-without-main-guard",
        rule.summary,
        "Family: Import-time hazards (FL1xx).",
        "Default severity: error.",
        "Enabled by default: yes.",
        "Fix: an edit that may change behaviour (unsafe).",
        "## What it does",
        "https://github.com/forklint/forklint/blob/main/docs/rules/FL107.md",
    ] {
        assert!(
            run.stdout.contains(needle),
            "{needle:?}: {}",
            run.describe()
        );
    }
}

/// Checks one JSON object against the rule it describes.
fn assert_matches_rule(obj: &serde_json::Value, code: &str) {
    let rule = forklint::rules::by_code(code).unwrap();
    assert_eq!(obj["code"], rule.code);
    assert_eq!(obj["name"], rule.name);
    assert_eq!(obj["family"], rule.family.id());
    assert_eq!(obj["severity"], rule.severity.as_str());
    assert_eq!(obj["default_enabled"], rule.default_enabled);
    assert_eq!(obj["fix"], rule.fix.as_str());
    assert_eq!(obj["summary"], rule.summary);
    assert_eq!(obj["doc"], rule.doc);
    assert_eq!(obj["url"], rule.docs_url());
    let keys: Vec<&String> = obj.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 9, "unexpected fields: {keys:?}");
}

#[test]
fn rule_json_is_one_object() {
    let dir = tempfile::tempdir().unwrap();
    let run = forklint(
        dir.path(),
        &[
            "rule",
            "import-time-thread-start",
            "--output-format",
            "json",
        ],
    );
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert!(v.is_object(), "{}", run.describe());
    assert_matches_rule(&v, "FL101");
    assert_eq!(
        v["url"],
        "https://github.com/forklint/forklint/blob/main/docs/rules/FL101.md"
    );
}

#[test]
fn rule_all_json_is_an_array_in_code_order() {
    let dir = tempfile::tempdir().unwrap();
    let run = forklint(dir.path(), &["rule", "--all", "--output-format", "json"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    let items = v.as_array().expect("an array");
    let got: Vec<&str> = items.iter().map(|o| o["code"].as_str().unwrap()).collect();
    assert_eq!(got, codes());
    for obj in items {
        assert_matches_rule(obj, obj["code"].as_str().unwrap());
    }
}

#[test]
fn rule_usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["rule"][..],
        &["rule", "FL101", "--all"],
        &["rule", "FL101", "--output-format", "yaml"],
        &["rule", "FL999", "--output-format", "json"],
    ] {
        let run = forklint(dir.path(), args);
        assert_eq!(run.code(), Some(2), "{args:?}: {}", run.describe());
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.describe());
    }
}

#[test]
fn rules_prints_an_aligned_table() {
    let dir = tempfile::tempdir().unwrap();
    let run = forklint(dir.path(), &["rules"]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), RULES.len() + 1, "{}", run.describe());
    let header = lines[0];
    let columns = ["Name", "Family", "Default", "Fix", "Summary"];
    let starts: Vec<usize> = columns.iter().map(|c| header.find(c).unwrap()).collect();
    for (line, rule) in lines[1..].iter().zip(RULES) {
        assert!(line.starts_with(rule.code), "{line}");
        let on = if rule.default_enabled { "on" } else { "off" };
        let cells = [
            rule.name,
            rule.family.id(),
            on,
            rule.fix.as_str(),
            rule.summary,
        ];
        for (start, cell) in starts.iter().zip(cells) {
            assert_eq!(
                line.get(*start..*start + cell.len()),
                Some(cell),
                "column at {start} of {line:?}"
            );
            // The cell is preceded by padding: columns do not run together.
            assert_eq!(&line[start - 2..*start], "  ", "{line:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Generated pages
// ---------------------------------------------------------------------------------------------

#[test]
fn every_rule_with_an_edit_says_how_safe_it_is() {
    use forklint::rules::FixAvailability;
    for r in RULES {
        let has_edit = matches!(r.fix, FixAvailability::Safe | FixAvailability::Unsafe);
        assert_eq!(
            r.doc.contains("\n## Fix safety\n"),
            has_edit,
            "{}: a rule with a safe or unsafe fix documents it under `## Fix safety` (and only \
             such a rule)",
            r.code
        );
    }
}

#[test]
fn checked_in_rule_docs_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let stale = docs::check(&dir).expect("read docs/rules");
    assert!(
        stale.is_empty(),
        "docs/rules is stale:\n  {}\nrun `{}` and commit the result",
        stale
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n  "),
        docs::GENERATE_COMMAND
    );
}

#[test]
fn checked_in_index_links_every_page() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let index = std::fs::read_to_string(dir.join("README.md")).unwrap();
    for r in RULES {
        let link = format!("[{0}]({0}.md)", r.code);
        assert!(index.contains(&link), "index lacks {link}");
        let page = std::fs::read_to_string(dir.join(format!("{}.md", r.code))).unwrap();
        assert!(
            page.starts_with(&format!("# {} {}\n", r.code, r.name)),
            "{}",
            r.code
        );
        assert!(page.contains(r.doc), "{} page lacks its doc", r.code);
    }
}

#[test]
fn generate_docs_writes_checks_and_prunes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rules");
    let out_s = out.to_str().unwrap();

    // Missing directory: --check reports every page, exit 1, writes nothing.
    let run = forklint(tmp.path(), &["debug", "generate-docs", "--check", out_s]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    assert!(
        run.stderr.contains("FL101.md is missing"),
        "{}",
        run.describe()
    );
    assert!(!out.exists());

    let run = forklint(tmp.path(), &["debug", "generate-docs", out_s]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    for (name, contents) in docs::pages() {
        assert_eq!(std::fs::read_to_string(out.join(&name)).unwrap(), contents);
    }
    let run = forklint(tmp.path(), &["debug", "generate-docs", "--check", out_s]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(run.stderr.is_empty(), "{}", run.describe());

    // An edited page and a page of a rule that does not exist are both stale; notes of
    // other names are left alone.
    let edited = std::fs::read_to_string(out.join("FL102.md")).unwrap() + "edited\n";
    write(&out, "FL102.md", &edited);
    write(&out, "FL999.md", "# FL999 gone\n");
    write(&out, "notes.md", "mine\n");
    let run = forklint(tmp.path(), &["debug", "generate-docs", "--check", out_s]);
    assert_eq!(run.code(), Some(1), "{}", run.describe());
    for needle in [
        "FL102.md differs from the rule metadata",
        "FL999.md documents no current rule",
        docs::GENERATE_COMMAND,
    ] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.describe());
    }
    assert!(!run.stderr.contains("notes.md"), "{}", run.describe());

    let run = forklint(tmp.path(), &["debug", "generate-docs", out_s]);
    assert_eq!(run.code(), Some(0), "{}", run.describe());
    assert!(!out.join("FL999.md").exists());
    assert!(out.join("notes.md").exists());
    assert!(docs::check(&out).unwrap().is_empty());
}
