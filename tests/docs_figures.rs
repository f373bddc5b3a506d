//! Figures quoted in more than one place are stated once, in `docs/figures.toml`, and quoted
//! in Markdown as `<!-- figure KEY -->VALUE<!-- /figure -->`. This test fails when a quote
//! differs from its figure, names a figure that does not exist, or when a figure of the
//! standard-library run is written without a marker (so it could drift). With
//! `FORKLINT_CORPUS` set to the directory `scripts/make-corpus.sh` builds, it also checks the
//! figures against a fresh run on that corpus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `docs/figures.toml` flattened: `stdlib.by-rule.FL101` → `"2"`.
fn figures() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo().join("docs/figures.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).expect("docs/figures.toml parses");
    let mut out = BTreeMap::new();
    fn flatten(prefix: &str, value: &toml::Value, out: &mut BTreeMap<String, String>) {
        match value {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    flatten(&key, v, out);
                }
            }
            toml::Value::String(s) => {
                out.insert(prefix.to_string(), s.clone());
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    flatten("", &toml::Value::Table(table), &mut out);
    out
}

/// Every Markdown file of the repository's documentation.
fn markdown() -> Vec<PathBuf> {
    let root = repo();
    let mut files = vec![root.join("README.md"), root.join("rules/README.md")];
    files.extend(
        WalkDir::new(root.join("docs"))
            .into_iter()
            .filter_map(Result::ok)
            .map(|e| e.into_path())
            .filter(|p| p.extension().is_some_and(|e| e == "md")),
    );
    files
}

/// The quotes in `text`: (line, key, value as written).
fn quotes(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find("<!-- figure ") {
        let after = &rest[start + "<!-- figure ".len()..];
        let key_end = after
            .find(" -->")
            .expect("a figure marker is closed with ` -->`");
        let key = after[..key_end].to_string();
        let value_start = &after[key_end + " -->".len()..];
        let value_end = value_start
            .find("<!-- /figure -->")
            .expect("a figure quote ends with `<!-- /figure -->`");
        let line = text[..offset + start].matches('\n').count() + 1;
        out.push((line, key, value_start[..value_end].to_string()));
        let consumed = start + "<!-- figure ".len() + key_end + " -->".len() + value_end;
        offset += consumed;
        rest = &rest[consumed..];
    }
    out
}

fn shown(path: &Path) -> String {
    path.strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_quoted_figure_is_the_figure() {
    let figures = figures();
    let mut wrong = Vec::new();
    let mut quoted = 0;
    for file in markdown() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, key, value) in quotes(&text) {
            quoted += 1;
            match figures.get(&key) {
                // `1,790` quotes 1790.
                Some(figure) if value.replace(',', "") == *figure => {}
                Some(figure) => wrong.push(format!(
                    "{}:{line}: `{key}` is quoted as {value}, but docs/figures.toml says {figure}",
                    shown(&file)
                )),
                None => wrong.push(format!(
                    "{}:{line}: no figure `{key}` in docs/figures.toml",
                    shown(&file)
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        quoted >= 10,
        "only {quoted} quotes found: is the marker syntax still used?"
    );
}

/// "reports 98 findings" near "standard library" without a marker: a figure that can drift.
#[test]
fn standard_library_figures_are_quoted_not_written() {
    let mut loose = Vec::new();
    for file in markdown() {
        // The real-world log is dated history: its figures are of their day.
        if file.ends_with("docs/real-world.md") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let bare = strip_quotes(&text);
        for (i, line) in bare.lines().enumerate() {
            let lower = line.to_lowercase();
            let about_stdlib = lower.contains("standard library") || lower.contains("stdlib");
            let has_count = line
                .split_whitespace()
                .collect::<Vec<_>>()
                .windows(2)
                .any(|w| {
                    w[0].trim_matches(|c: char| !c.is_ascii_digit() && c != ',')
                        .chars()
                        .any(|c| c.is_ascii_digit())
                        && w[0].chars().all(|c| c.is_ascii_digit() || c == ',')
                        && (w[1].starts_with("findings") || w[1].starts_with("hazards"))
                });
            if about_stdlib && has_count {
                loose.push(format!("{}:{}: {}", shown(&file), i + 1, line.trim()));
            }
        }
    }
    assert!(
        loose.is_empty(),
        "standard-library figures written without a `<!-- figure KEY -->` marker:\n{}",
        loose.join("\n")
    );
}

/// `text` with every quote's value removed (the markers stay).
fn strip_quotes(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<!-- figure ") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("<!-- /figure -->").unwrap() + start;
        out.push_str("FIGURE");
        rest = &rest[end + "<!-- /figure -->".len()..];
    }
    out.push_str(rest);
    out
}

/// The figures of the standard-library run against a fresh run, when the corpus is there.
#[test]
fn stdlib_figures_match_a_fresh_run_when_the_corpus_is_given() {
    let Some(root) = std::env::var_os("FORKLINT_CORPUS") else {
        eprintln!("FORKLINT_CORPUS not set: the figures were not re-measured");
        return;
    };
    let corpus = PathBuf::from(root).join("stdlib");
    let figures = figures();
    let files = WalkDir::new(&corpus)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "py"))
        .count();
    assert_eq!(
        files.to_string(),
        figures["stdlib.files"],
        "{} is not the corpus the figures were measured on",
        corpus.display()
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_forklint"))
        .args(["check", "--no-cache", "--output-format", "json", "."])
        .current_dir(&corpus)
        .output()
        .unwrap();
    let found: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found.len().to_string(), figures["stdlib.findings"]);
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for f in &found {
        *by_rule
            .entry(f["code"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = figures
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.strip_prefix("stdlib.by-rule.")?.to_string(),
                v.parse().unwrap(),
            ))
        })
        .collect();
    assert_eq!(by_rule, expected);
}
