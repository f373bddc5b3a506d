//! `--output-format sarif`: SARIF 2.1.0 as GitHub code scanning ingests it.
//!
//! Paths are URIs relative to `%SRCROOT%` (the working directory, given in
//! `originalUriBaseIds`); files outside it get absolute `file://` URIs. Columns count Unicode
//! code points (`columnKind`). The trace becomes a code flow and related locations. Each result
//! carries a `forklint/v1` partial fingerprint that does not depend on line numbers, so an alert
//! keeps its identity when unrelated lines move (see `docs/output-formats.md`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use ruff_text_size::TextRange;
use serde::Serialize;

use super::{Notice, Position, relative_to, span};
use crate::diagnostic::{FileId, Location, Severity};
use crate::program::Program;
use crate::rules::{Family, Rule};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";
const INFORMATION_URI: &str = "https://github.com/forklint/forklint";
/// The key of forklint's own partial fingerprint; the suffix is bumped if the scheme changes.
const FINGERPRINT_KEY: &str = "forklint/v1";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    original_uri_base_ids: BTreeMap<&'static str, BaseUri>,
    invocations: [Invocation; 1],
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct BaseUri {
    uri: String,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Message,
    full_description: Message,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
    properties: Properties,
}

#[derive(Serialize)]
struct Help {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Properties {
    tags: [Family; 1],
}

#[derive(Serialize)]
struct Message {
    text: String,
}

fn message(text: impl Into<String>) -> Message {
    Message { text: text.into() }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Message,
    locations: [SarifLocation; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: [SarifLocation; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    code_flows: Vec<CodeFlow>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<ResultProperties>,
}

/// The rules whose findings on the same statement this result stands for
/// (`rules::combine`), in the result's property bag.
#[derive(Serialize)]
struct ResultProperties {
    #[serde(rename = "forklint/also")]
    also: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CodeFlow {
    thread_flows: [ThreadFlow; 1],
}

#[derive(Serialize)]
struct ThreadFlow {
    locations: Vec<ThreadFlowLocation>,
}

#[derive(Serialize)]
struct ThreadFlowLocation {
    location: SarifLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix<'a> {
    description: Message,
    artifact_changes: Vec<ArtifactChange<'a>>,
}

#[derive(Serialize)]
struct ArtifactChange<'a> {
    #[serde(rename = "artifactLocation")]
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement<'a> {
    deleted_region: Region,
    inserted_content: InsertedContent<'a>,
}

#[derive(Serialize)]
struct InsertedContent<'a> {
    text: &'a str,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Percent-encodes a path for a URI: everything but RFC 3986 unreserved characters and the `/`
/// separators. Non-UTF-8 file names are encoded byte by byte.
fn encode_path(path: &Path) -> String {
    let mut out = String::new();
    for (i, component) in path
        .components()
        .filter(|c| !matches!(c, std::path::Component::RootDir))
        .enumerate()
    {
        if i > 0 {
            out.push('/');
        }
        for &b in component.as_os_str().as_encoded_bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// The `file://` URI of a directory, ending in `/` as `originalUriBaseIds` requires.
fn directory_uri(dir: &Path) -> String {
    let encoded = encode_path(dir);
    if encoded.is_empty() {
        "file:///".to_string()
    } else {
        format!("file:///{encoded}/")
    }
}

/// Builds locations: knows the source root, and caches each file's URI.
struct Locator<'p> {
    root: &'p Path,
    uris: HashMap<PathBuf, ArtifactLocation>,
}

impl Locator<'_> {
    fn artifact_of_path(&self, path: &Path) -> ArtifactLocation {
        match relative_to(path, self.root) {
            Ok(rel) => ArtifactLocation {
                uri: encode_path(&rel),
                uri_base_id: Some(SRCROOT),
            },
            Err(absolute) => ArtifactLocation {
                uri: format!("file:///{}", encode_path(&absolute)),
                uri_base_id: None,
            },
        }
    }

    fn artifact(&mut self, program: &Program, file: FileId) -> ArtifactLocation {
        let path = &program.file(file).path;
        if let Some(a) = self.uris.get(path) {
            return a.clone();
        }
        let a = self.artifact_of_path(path);
        self.uris.insert(path.clone(), a.clone());
        a
    }

    fn region(&self, program: &Program, file: FileId, range: TextRange) -> Region {
        let (start, end) = span(program, file, range);
        Region {
            start_line: start.row,
            start_column: start.column,
            end_line: Some(end.row),
            end_column: Some(end.column),
        }
    }

    fn location(
        &mut self,
        program: &Program,
        loc: &Location,
        id: Option<usize>,
        msg: Option<&str>,
    ) -> SarifLocation {
        SarifLocation {
            id,
            physical_location: PhysicalLocation {
                artifact_location: self.artifact(program, loc.file),
                region: Some(self.region(program, loc.file, loc.range)),
            },
            message: msg.map(message),
        }
    }
}

/// FNV-1a, 64 bits: small, and fixed by its definition (a fingerprint must not change when a
/// hashing crate does).
fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The fingerprint key of a finding: its code, file URI and normalised line, each ended by NUL.
pub(super) fn fingerprint_key(parts: &[&str]) -> u64 {
    fnv1a(parts.iter().flat_map(|p| p.bytes().chain([0])))
}

/// The `forklint/v1` partial fingerprint of each finding (`findings` in report order: the
/// occurrence index counts findings with the same code, file and normalised line), with the
/// file's URI it was computed from: relative to `root` when the file is under it, else an
/// absolute `file://` URI. `--baseline` matches findings by these.
pub fn fingerprints(findings: &[super::Finding], root: &Path) -> Vec<(String, String)> {
    let locator = Locator {
        root,
        uris: HashMap::new(),
    };
    let mut occurrences: HashMap<u64, usize> = HashMap::new();
    findings
        .iter()
        .map(|&(program, d)| {
            let path = crate::discover::absolute(&program.file(d.primary.file).path);
            let uri = locator.artifact_of_path(&path).uri;
            let key = fingerprint_key(&[d.code, &uri, &normalized_line(program, &d.primary)]);
            let occurrence = occurrences.entry(key).or_default();
            let fingerprint = format!("{key:016x}:{occurrence}");
            *occurrence += 1;
            (uri, fingerprint)
        })
        .collect()
}

/// The text of the line a location starts on, with runs of whitespace collapsed to one space.
pub(super) fn normalized_line(program: &Program, loc: &Location) -> String {
    let file = program.file(loc.file);
    let text = file.text();
    let (row, _) = file.line_col(loc.range.start());
    let line = text.lines().nth(row - 1).unwrap_or("");
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A result's message: the finding's, then one line per finding it carries, as code
/// scanning shows the message and not the notes.
fn with_carried(d: &crate::diagnostic::Diagnostic) -> String {
    let mut text = d.message.clone();
    for c in &d.also {
        text.push('\n');
        text.push_str(&crate::rules::combine::note(&d.message, c));
    }
    text
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    ReportingDescriptor {
        id: rule.code,
        name: rule.name,
        short_description: message(rule.summary),
        full_description: message(what_it_does(rule.doc)),
        help: Help {
            text: rule.doc,
            markdown: rule.doc,
        },
        help_uri: rule.docs_url(),
        default_configuration: Configuration {
            level: level(rule.severity),
        },
        properties: Properties {
            tags: [rule.family],
        },
    }
}

/// The "What it does" section of a rule's documentation, as one paragraph.
fn what_it_does(doc: &str) -> String {
    let section = doc
        .split("## What it does")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or(doc);
    section.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The SARIF log. `rules` are the rules that ran (each gets a `rules[]` entry, in this order;
/// a finding of a rule not among them is added after them). `root` is `%SRCROOT%`: the
/// directory result URIs are relative to (the working directory).
pub fn render(
    findings: &[super::Finding],
    rules: &[&'static Rule],
    notices: &[Notice],
    root: &Path,
) -> String {
    let mut rules: Vec<&'static Rule> = rules.to_vec();
    for (_, d) in findings {
        if !rules.iter().any(|r| r.code == d.code)
            && let Some(rule) = crate::rules::by_code(d.code)
        {
            rules.push(rule);
        }
    }
    let mut locator = Locator {
        root,
        uris: HashMap::new(),
    };
    let fingerprints = fingerprints(findings, root);
    let results = findings
        .iter()
        .zip(fingerprints)
        .map(|(&(program, d), (_, fingerprint))| {
            let primary = locator.location(program, &d.primary, None, None);
            let mut flow = vec![ThreadFlowLocation {
                location: locator.location(program, &d.primary, None, Some(&d.label)),
            }];
            let mut related = Vec::new();
            for (i, step) in d.trace.iter().enumerate() {
                flow.push(ThreadFlowLocation {
                    location: locator.location(program, &step.location, None, Some(&step.message)),
                });
                related.push(locator.location(
                    program,
                    &step.location,
                    Some(i + 1),
                    Some(&step.message),
                ));
            }
            SarifResult {
                rule_id: d.code,
                rule_index: rules
                    .iter()
                    .position(|r| r.code == d.code)
                    .unwrap_or_default(),
                level: level(d.severity),
                message: message(with_carried(d)),
                locations: [primary],
                partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint)]),
                code_flows: if d.trace.is_empty() {
                    Vec::new()
                } else {
                    vec![CodeFlow {
                        thread_flows: [ThreadFlow { locations: flow }],
                    }]
                },
                related_locations: related,
                fixes: d
                    .fix
                    .iter()
                    .filter(|f| !f.edits.is_empty())
                    .map(|f| fix(&mut locator, program, f))
                    .collect(),
                properties: (!d.also.is_empty()).then(|| ResultProperties {
                    also: d.also.iter().map(|c| c.code).collect(),
                }),
            }
        })
        .collect();
    let notifications = notices
        .iter()
        .map(|n| Notification {
            level: "warning",
            message: message(n.message.as_str()),
            locations: [SarifLocation {
                id: None,
                physical_location: PhysicalLocation {
                    artifact_location: locator.artifact_of_path(&n.path),
                    region: n.position.map(|Position { row, column }| Region {
                        start_line: row,
                        start_column: column,
                        end_line: None,
                        end_column: None,
                    }),
                },
                message: None,
            }],
        })
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "forklint",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: rules.iter().map(|r| descriptor(r)).collect(),
                },
            },
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                BaseUri {
                    uri: directory_uri(root),
                },
            )]),
            invocations: [Invocation {
                execution_successful: true,
                tool_execution_notifications: notifications,
            }],
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    let mut out = serde_json::to_string_pretty(&log).expect("serialisable");
    out.push('\n');
    out
}

/// A fix as `artifactChanges`: the edits grouped by file, in their order.
fn fix<'a>(
    locator: &mut Locator,
    program: &Program,
    fix: &'a crate::diagnostic::Fix,
) -> SarifFix<'a> {
    let mut changes: Vec<(FileId, ArtifactChange<'a>)> = Vec::new();
    for edit in &fix.edits {
        let replacement = Replacement {
            deleted_region: locator.region(program, edit.file, edit.range),
            inserted_content: InsertedContent {
                text: &edit.content,
            },
        };
        match changes.iter_mut().find(|(f, _)| *f == edit.file) {
            Some((_, change)) => change.replacements.push(replacement),
            None => changes.push((
                edit.file,
                ArtifactChange {
                    artifact_location: locator.artifact(program, edit.file),
                    replacements: vec![replacement],
                },
            )),
        }
    }
    SarifFix {
        description: message(fix.message.as_str()),
        artifact_changes: changes.into_iter().map(|(_, c)| c).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode_path(Path::new("a b/ü#1.py")), "a%20b/%C3%BC%231.py");
        assert_eq!(encode_path(Path::new("/x/y.py")), "x/y.py");
        assert_eq!(directory_uri(Path::new("/w/my dir")), "file:///w/my%20dir/");
        assert_eq!(directory_uri(Path::new("/")), "file:///");
    }

    #[test]
    fn fingerprint_hash_is_fixed() {
        // The published FNV-1a 64 test vectors: a change here would change every alert's
        // identity on GitHub.
        assert_eq!(fnv1a(*b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(*b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(*b"foobar"), 0x8594_4171_f739_67e8);
        assert_ne!(fingerprint_key(&["ab", "c"]), fingerprint_key(&["a", "bc"]));
    }
}
