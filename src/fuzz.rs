//! The whole pipeline on arbitrary bytes, for fuzzing: the `cargo fuzz` target in `fuzz/`
//! (nightly, libFuzzer) and the stable, time-bounded harness in `tests/fuzz.rs` both call
//! [`pipeline`]. It panics exactly when forklint has a bug the input exposes.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::discover::FoundFile;
use crate::knowledge::Knowledge;
use crate::program::{Analyser, LinkInput, Program, Source};
use crate::report::{OutputFormat, github, json, sarif, text};
use crate::rules::selection::{RuleSelection, SelectionLayer};
use crate::rules::{RULES, Rule};
use crate::settings::{Platform, PythonVersion, Settings};

/// Separates the files of one input (ASCII record separator).
pub const FILE_SEPARATOR: u8 = 0x1e;

/// The files an input is split into, in order: modules that can import one another, a
/// package, and native sources for the extension scan (FL402).
pub const FILE_NAMES: &[&str] = &[
    "main.py",
    "app.py",
    "util.py",
    "pkg/__init__.py",
    "pkg/worker.py",
    "ext.rs",
    "ext.c",
];

/// Where the virtual project lives. Nothing is read from or written to it.
const ROOT: &str = "/forklint-fuzz";

/// Splits `data` into files, then summarises, checks that each summary round-trips through
/// the summary cache's stored form, links, runs every rule on every version and platform,
/// renders every output format and applies every fix in memory. Panics when a
/// stage panics, when a file's analysis panicked (which the guarded summariser would
/// otherwise report as FL001), or when a fix leaves a syntax error.
pub fn pipeline(data: &[u8]) {
    crate::analysis_pool().install(|| run(data));
}

fn run(data: &[u8]) {
    let files: Vec<(PathBuf, String)> = data
        .split(|b| *b == FILE_SEPARATOR)
        .zip(FILE_NAMES)
        .map(|(bytes, name)| {
            (
                Path::new(ROOT).join(name),
                String::from_utf8_lossy(bytes).into_owned(),
            )
        })
        .collect();
    let program = link(&files);
    summaries_round_trip(&program, data);
    let diagnostics = crate::diagnose(&program);
    for d in &diagnostics {
        assert!(
            !(d.code == "FL001" && d.message.contains("internal error")),
            "the analysis panicked: {}",
            d.message
        );
    }
    render_every_format(&program, &diagnostics);
    apply_every_fix(&program, &diagnostics);
}

/// Every summary survives the summary cache's stored form unchanged (so a program linked
/// from stored summaries is the program linked from fresh ones), and the decoder takes any
/// payload, here the input's own bytes, without panicking: the checksum keeps damaged
/// entries from it, but a decoder that could panic would turn a checksum collision into a
/// crash.
fn summaries_round_trip(program: &Program, data: &[u8]) {
    use crate::cache::{Kind, decode, encode};
    use crate::summary::ModuleSummary;
    for (i, f) in program.files.iter().enumerate() {
        let key = i as u128;
        let bytes = encode(Kind::Summary, key, &f.summary).expect("a summary serialises");
        let (stored, back): (u128, ModuleSummary) =
            decode(Kind::Summary, Some(key), &bytes).expect("a stored summary reads back");
        assert_eq!(stored, key);
        assert!(
            back == f.summary,
            "the summary of {} changed through its stored form",
            f.path.display()
        );
    }
    let _ = postcard::from_bytes::<ModuleSummary>(data);
}

fn settings() -> Settings {
    let all: Vec<PythonVersion> = PythonVersion::SUPPORTED
        .map(|minor| PythonVersion::new(3, minor))
        .collect();
    let select_all = SelectionLayer {
        select: Some(vec!["ALL".parse().expect("ALL is a selector")]),
        ..SelectionLayer::default()
    };
    Settings {
        target_version: all[0],
        target_versions: all,
        platform: Platform::Linux,
        platforms: Platform::ALL.to_vec(),
        selection: RuleSelection::new(&[select_all], Vec::new()),
        show_info: true,
        ..Settings::default()
    }
}

fn link(files: &[(PathBuf, String)]) -> Program {
    let settings = settings();
    let knowledge = Knowledge::builtin().expect("the built-in knowledge base loads");
    let found: Vec<FoundFile> = files
        .iter()
        .map(|(path, _)| {
            let native = crate::summary::is_native(path);
            let (module, is_package) = if native {
                (String::new(), false)
            } else {
                crate::discover::module_name(path, &[PathBuf::from(ROOT)])
            };
            FoundFile {
                path: path.clone(),
                module,
                is_package,
                explicit: false,
                project: 0,
                library: false,
            }
        })
        .collect();
    let modules: rustc_hash::FxHashSet<String> = found
        .iter()
        .filter(|f| !f.module.is_empty())
        .map(|f| f.module.clone())
        .collect();
    let analysed = {
        let analyser = Analyser::new(&modules, &knowledge, &settings);
        found
            .into_iter()
            .zip(files)
            .map(|(found, (_, text))| {
                analyser.analyse(Source {
                    found,
                    text: text.as_str().into(),
                    keep_text: true,
                    encoding: crate::program::SourceEncoding::Utf8,
                })
            })
            .collect()
    };
    Program::link(
        LinkInput::relinkable(analysed, Vec::new(), modules),
        knowledge,
        settings,
    )
}

fn render_every_format(program: &Program, diagnostics: &[Diagnostic]) {
    let root = Path::new(ROOT);
    for d in diagnostics {
        let plain = text::render(program, d, false);
        let coloured = text::render(program, d, true);
        assert!(plain.contains(d.code) && coloured.contains(d.code));
    }
    let findings: Vec<crate::report::Finding> = diagnostics.iter().map(|d| (program, d)).collect();
    let json = json::render(&findings);
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("json output parses");
    assert_eq!(parsed.as_array().map(Vec::len), Some(diagnostics.len()));
    let rules: Vec<&'static Rule> = RULES.to_vec();
    let log = sarif::render(&findings, &rules, &[], root);
    let parsed: serde_json::Value = serde_json::from_str(&log).expect("SARIF output parses");
    assert_eq!(
        parsed["runs"][0]["results"].as_array().map(Vec::len),
        Some(diagnostics.len())
    );
    let annotations = github::render(&findings, root);
    assert_eq!(
        annotations.lines().count(),
        diagnostics.len(),
        "{annotations}"
    );
    // Every registered format renders (none panics), and the line and document formats hold one
    // entry per finding.
    let report = crate::report::Report {
        findings: &findings,
        rules: &rules,
        notices: &[],
        root,
        color: false,
        unsafe_fixes: true,
    };
    for &format in <OutputFormat as clap::ValueEnum>::value_variants() {
        let out = format.render(&report).expect("renders in memory");
        let entries = match format {
            OutputFormat::JsonLines | OutputFormat::Azure => out.lines().count(),
            OutputFormat::Gitlab => serde_json::from_str::<serde_json::Value>(&out)
                .expect("gitlab output parses")
                .as_array()
                .map_or(0, Vec::len),
            OutputFormat::Rdjson => serde_json::from_str::<serde_json::Value>(&out)
                .expect("rdjson output parses")["diagnostics"]
                .as_array()
                .map_or(0, Vec::len),
            _ => continue,
        };
        assert_eq!(entries, diagnostics.len(), "{format:?}: {out}");
    }
}

fn apply_every_fix(program: &Program, diagnostics: &[Diagnostic]) {
    let mut by_file: std::collections::BTreeMap<_, Vec<_>> = Default::default();
    for d in diagnostics {
        if let Some(fix) = d.fix.as_ref().filter(|_| crate::fix::is_fixable(d, true)) {
            let file = fix.edits[0].file;
            if fix.edits.iter().all(|e| e.file == file) {
                by_file.entry(file).or_default().push((d.code, fix));
            }
        }
    }
    for (file, fixes) in by_file {
        let f = program.file(file);
        if !f.summary.syntax_errors.is_empty() {
            continue;
        }
        let applied = crate::fix::apply(f.text(), &fixes);
        assert!(
            applied.rejected.is_empty(),
            "a fix would leave a syntax error in {}: {:?}",
            f.path.display(),
            applied
                .rejected
                .iter()
                .map(|r| (r.code, r.syntax_error.clone()))
                .collect::<Vec<_>>()
        );
    }
}
