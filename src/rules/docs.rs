//! Rule documentation, rendered from each rule's metadata: the one source for `forklint rule`
//! (text and JSON) and for the pages under `docs/rules/` (`forklint debug generate-docs`).

use std::path::Path;

use serde::Serialize;

use super::{Family, RULES, Rule};

/// The command that regenerates `docs/rules/` (named in staleness messages and in the pages).
pub const GENERATE_COMMAND: &str = "cargo run -- debug generate-docs";

/// One rule as `forklint rule --output-format json` prints it.
#[derive(Serialize)]
pub struct RuleJson {
    pub code: &'static str,
    pub name: &'static str,
    pub family: &'static str,
    pub severity: &'static str,
    pub default_enabled: bool,
    pub fix: &'static str,
    pub summary: &'static str,
    pub doc: &'static str,
    pub url: String,
}

impl From<&Rule> for RuleJson {
    fn from(r: &Rule) -> Self {
        RuleJson {
            code: r.code,
            name: r.name,
            family: r.family.id(),
            severity: r.severity.as_str(),
            default_enabled: r.default_enabled,
            fix: r.fix.as_str(),
            summary: r.summary,
            doc: r.doc,
            url: r.docs_url(),
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// `forklint rule CODE` in text: a heading, the summary, the metadata, then the doc.
pub fn rule_text(r: &Rule) -> String {
    format!(
        "# {} {}\n\n{}\n\nFamily: {}. Default severity: {}. Enabled by default: {}. Fix: {}.\n\
         Documentation: {}\n\n{}",
        r.code,
        r.name,
        r.summary,
        r.family.title(),
        r.severity.as_str(),
        yes_no(r.default_enabled),
        r.fix.describe(),
        r.docs_url(),
        full_doc(r)
    )
}

/// The rule's own doc, then what is generated for it: how it combines with other rules on
/// one statement (`combine.rs`).
fn full_doc(r: &Rule) -> String {
    let mut doc = r.doc.to_string();
    if let Some(paragraph) = super::combine::doc_paragraph(r.code) {
        doc.push_str(&paragraph);
    }
    doc
}

fn generated_note() -> String {
    format!(
        "<!-- Generated from the rule metadata in src/rules/ by `{GENERATE_COMMAND}`. \
         Do not edit. -->\n"
    )
}

/// A table cell: one line, no column separators.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// `docs/rules/<CODE>.md`.
pub fn rule_page(r: &Rule) -> String {
    format!(
        "# {} {}\n\n{}\n{}\n\n\
         | Family | Default severity | Enabled by default | Fix |\n\
         |---|---|---|---|\n\
         | {} | {} | {} | {} |\n\n{}",
        r.code,
        r.name,
        generated_note(),
        cell(r.summary),
        cell(r.family.title()),
        r.severity.as_str(),
        yes_no(r.default_enabled),
        cell(r.fix.describe()),
        full_doc(r)
    )
}

/// `docs/rules/README.md`: every rule, grouped by family, linking its page.
pub fn index_page() -> String {
    let mut out = format!(
        "# Rules\n\n{}\nEvery rule forklint knows, by family. `forklint rule CODE` prints the same \
         page in a terminal; `forklint rules` lists them.\n",
        generated_note()
    );
    out.push_str(&format!(
        "\n## One statement, one finding\n\nSeveral rules describe one start from different sides: a \
         daemon thread started at import is FL101, FL106 and, when it loops doing Python work, \
         FL401. The findings of {} at the same statement are shown as one: the first of them in \
         this order, carrying the others as notes (`(also ...)` in concise output, `also` in \
         JSON, `forklint/also` in a SARIF result's properties). FL105 is reported only where the \
         importer belongs to another package than the module it imports. A rule that is not \
         selected neither carries nor is carried; a `# noqa` naming the shown code suppresses \
         the whole finding, and one naming a carried code drops that note \
         ([suppressions](../suppressions.md)).\n",
        super::combine::CARRIERS.join(", ")
    ));
    for family in Family::ALL {
        let rules: Vec<&Rule> = RULES
            .iter()
            .copied()
            .filter(|r| r.family == family)
            .collect();
        if rules.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n## {}\n\n| Code | Name | Summary | Severity | Default | Fix |\n|---|---|---|---|---|---|\n",
            family.title()
        ));
        for r in rules {
            out.push_str(&format!(
                "| [{code}]({code}.md) | {} | {} | {} | {} | {} |\n",
                r.name,
                cell(r.summary),
                r.severity.as_str(),
                if r.default_enabled { "on" } else { "off" },
                r.fix.as_str(),
                code = r.code,
            ));
        }
    }
    out
}

/// Every generated file of `docs/rules/`: (file name, contents), index first, then code order.
pub fn pages() -> Vec<(String, String)> {
    let mut out = vec![("README.md".to_string(), index_page())];
    out.extend(
        RULES
            .iter()
            .map(|r| (format!("{}.md", r.code), rule_page(r))),
    );
    out
}

/// Whether a file name in `docs/rules/` is one this generator owns (a rule page or the index).
fn is_generated_name(name: &str) -> bool {
    name == "README.md"
        || (name.len() == 8
            && name.starts_with("FL")
            && name.ends_with(".md")
            && name[2..5].bytes().all(|b| b.is_ascii_digit()))
}

/// How one file in the docs directory differs from what the metadata generates.
#[derive(Debug, PartialEq, Eq)]
pub enum Stale {
    Missing(String),
    Differs(String),
    /// A page of a rule that no longer exists.
    Extra(String),
}

impl Stale {
    pub fn name(&self) -> &str {
        match self {
            Stale::Missing(n) | Stale::Differs(n) | Stale::Extra(n) => n,
        }
    }
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stale::Missing(n) => write!(f, "{n} is missing"),
            Stale::Differs(n) => write!(f, "{n} differs from the rule metadata"),
            Stale::Extra(n) => write!(f, "{n} documents no current rule"),
        }
    }
}

/// Compares `dir` with what [`pages`] generates, without writing anything.
pub fn check(dir: &Path) -> std::io::Result<Vec<Stale>> {
    let pages = pages();
    let mut out = Vec::new();
    for (name, contents) in &pages {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(on_disk) if on_disk == *contents => {}
            Ok(_) => out.push(Stale::Differs(name.clone())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.push(Stale::Missing(name.clone()));
            }
            Err(e) => return Err(e),
        }
    }
    for name in generated_names_in(dir)? {
        if !pages.iter().any(|(n, _)| *n == name) {
            out.push(Stale::Extra(name));
        }
    }
    Ok(out)
}

/// Names in `dir` this generator owns, sorted (empty when `dir` does not exist).
fn generated_names_in(dir: &Path) -> std::io::Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for entry in entries {
        if let Some(name) = entry?.file_name().to_str()
            && is_generated_name(name)
        {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Writes every page into `dir` (creating it) and removes pages of rules that no longer
/// exist. Returns what changed.
pub fn write(dir: &Path) -> std::io::Result<Vec<Stale>> {
    let changed = check(dir)?;
    std::fs::create_dir_all(dir)?;
    for (name, contents) in pages() {
        std::fs::write(dir.join(name), contents)?;
    }
    for s in &changed {
        if let Stale::Extra(name) = s {
            std::fs::remove_file(dir.join(name))?;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_family_is_listed_in_family_all() {
        for r in RULES {
            assert!(Family::ALL.contains(&r.family), "{}", r.code);
            let json = serde_json::to_value(r.family).unwrap();
            assert_eq!(json, r.family.id(), "{}", r.code);
            let fix = serde_json::to_value(r.fix).unwrap();
            assert_eq!(fix, r.fix.as_str(), "{}", r.code);
        }
    }

    #[test]
    fn generated_names_are_recognised() {
        for (name, _) in pages() {
            assert!(is_generated_name(&name), "{name}");
        }
        assert!(!is_generated_name("notes.md"));
        assert!(!is_generated_name("FLxyz.md"));
    }

    #[test]
    fn index_links_every_page() {
        let index = index_page();
        for r in RULES {
            assert!(
                index.contains(&format!("[{0}]({0}.md)", r.code)),
                "{}",
                r.code
            );
        }
    }
}
