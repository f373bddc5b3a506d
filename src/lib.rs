//! forklint: a static linter for Python thread, fork, subinterpreter and shutdown hazards.
//!
//! Data flows one way (see DESIGN.md):
//! paths → [`discover`] → [`summary`] (the one AST pass, in parallel) → [`program`] (link,
//! propagate) → [`rules`] → [`report`].

pub mod add_noqa;
pub mod baseline;
pub mod cache;
pub mod cli;
pub mod config;
pub mod deploy;
pub mod diagnostic;
pub mod discover;
pub mod entry_points;
pub mod environment;
pub mod fix;
#[doc(hidden)]
pub mod fuzz;
pub mod graph;
pub mod knowledge;
pub mod program;
pub mod report;
pub mod rules;
pub mod server;
pub mod settings;
pub mod summary;
pub mod suppression;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::discover::{SettingsSource, Skipped};
use crate::knowledge::Knowledge;
use crate::program::Program;

/// One project of a run: its files, analysed as one program with its settings, and the
/// findings.
pub struct Checked {
    pub project: discover::Project,
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
    /// How the summary cache served this project (`None`: no cache).
    pub cache: Option<cache::CacheStats>,
    /// Why the summary cache could not be used, if it could not.
    pub cache_warning: Option<String>,
    /// `check --summaries`: how many files were read from the bundles, and how many had to
    /// be parsed (not in them, or their assumptions no longer hold).
    pub bundle_counts: Option<(usize, usize)>,
}

/// The result of checking a set of paths: one [`Checked`] per project they belong to (files
/// under different configuration files are different projects).
pub struct CheckOutcome {
    pub projects: Vec<Checked>,
    /// Paths that were found but could not be analysed (unreadable, not UTF-8, not a regular
    /// file), with the reason.
    pub skipped: Vec<Skipped>,
}

impl CheckOutcome {
    /// Every finding with the program it belongs to, ordered by file and position.
    pub fn findings(&self) -> Vec<(&Program, &Diagnostic)> {
        let mut out: Vec<(&Program, &Diagnostic)> = self
            .projects
            .iter()
            .flat_map(|c| c.diagnostics.iter().map(move |d| (&c.program, d)))
            .collect();
        // Each project's findings are already in order; a stable sort by path interleaves
        // projects whose files interleave (a nested configuration) without reordering a file.
        if self.projects.len() > 1 {
            out.sort_by(|a, b| {
                a.0.file(a.1.primary.file)
                    .path
                    .cmp(&b.0.file(b.1.primary.file).path)
            });
        }
        out
    }

    /// How many of the project's files were analysed (not counting the installed
    /// dependencies analysed with them).
    pub fn files_checked(&self) -> usize {
        self.projects
            .iter()
            .map(|c| c.program.files.iter().filter(|f| !f.library).count())
            .sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Discover(#[from] discover::DiscoverError),
    #[error(transparent)]
    Knowledge(#[from] knowledge::KnowledgeError),
    /// A `--summaries` bundle that cannot be used.
    #[error("{0}")]
    Summaries(String),
    /// A Python environment given by `--python` or `python = ...` that has no
    /// `site-packages`.
    #[error("{0}")]
    Environment(String),
}

/// Resident and peak memory of this process, for `FORKLINT_TIMING` reports (Linux only).
pub fn memory_report() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map_or("?".to_string(), |v| v.trim().to_string())
    };
    format!("rss {} (peak {})", field("VmRSS:"), field("VmHWM:"))
}

/// The message a panic carried (for reporting a caught one).
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Stack of each analysis thread. The parser recurses once per nesting level of an expression
/// (about 64 bytes a level) and statements are capped at [`summary::MAX_STATEMENT_BYTES`]
/// (1 MiB, so at most 64 MiB of parser stack); the visitor adds at most
/// [`summary::MAX_VISIT_DEPTH`] levels of its own. The memory is reserved, not used.
pub const ANALYSIS_STACK_BYTES: usize = 192 << 20;

/// The thread pool every phase runs in. All work runs inside it — including a single file,
/// which rayon would otherwise process on the calling thread and its smaller stack.
pub fn analysis_pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(ANALYSIS_STACK_BYTES)
            .thread_name(|i| format!("forklint-{i}"))
            .build()
            // Only thread creation can fail here; without threads nothing can be analysed.
            .expect("cannot start analysis threads")
    })
}

/// Discovers, parses, links and checks, on the [`analysis_pool`].
pub fn check(paths: &[PathBuf], source: SettingsSource<'_>) -> Result<CheckOutcome, Error> {
    analysis_pool().install(|| {
        let found = discover::discover_with(paths, source)?;
        check_in_pool(found.by_project(), &HashMap::new())
    })
}

/// A file `--fix` changed: the text it had when first read, and the fixed text.
pub struct FixedFile {
    pub path: PathBuf,
    pub original: Arc<str>,
    pub fixed: Arc<str>,
    /// The rule code of each finding fixed in it, in the order they were fixed.
    pub codes: Vec<&'static str>,
}

/// A fix dropped because it would have left a syntax error (a bug in its rule).
pub struct RejectedFix {
    pub path: PathBuf,
    pub line: usize,
    pub rejected: fix::Rejected,
}

/// The result of checking with fixes applied in memory; nothing is written yet.
pub struct FixOutcome {
    /// The findings that remain, on the fixed texts.
    pub outcome: CheckOutcome,
    pub files: Vec<FixedFile>,
    pub rejected: Vec<RejectedFix>,
    /// False when fixes were still applying after [`fix::MAX_PASSES`] passes.
    pub settled: bool,
}

/// Checks, applies the fixes that apply (safe ones; unsafe ones too with `unsafe_fixes`) to
/// the texts in memory, and checks again, until no fix applies or [`fix::MAX_PASSES`] passes.
/// Each pass analyses the whole project: a fix in one module can change the findings of
/// another. Files with syntax errors are never fixed.
///
/// `texts` are the texts of files to use instead of what is on disk (`--stdin-filename`), by
/// path as discovered or absolute.
pub fn check_and_fix(
    paths: &[PathBuf],
    source: SettingsSource<'_>,
    unsafe_fixes: bool,
    texts: &HashMap<PathBuf, Arc<str>>,
) -> Result<FixOutcome, Error> {
    analysis_pool().install(|| {
        // The set of files is found once: fixes change texts, not which files there are.
        let (projects, skipped) = discover::discover_with(paths, source)?.by_project();
        let found = (projects, skipped);
        let mut overlay: HashMap<PathBuf, Arc<str>> = texts.clone();
        let mut files: Vec<FixedFile> = Vec::new();
        let mut rejected: Vec<RejectedFix> = Vec::new();
        for _ in 0..fix::MAX_PASSES {
            let outcome = check_in_pool(found.clone(), &overlay)?;
            let mut changed = false;
            for checked in &outcome.projects {
                let program = &checked.program;
                let mut by_file: std::collections::BTreeMap<diagnostic::FileId, Vec<_>> =
                    Default::default();
                for d in &checked.diagnostics {
                    let Some(f) = d.fix.as_ref().filter(|_| fix::is_fixable(d, unsafe_fixes))
                    else {
                        continue;
                    };
                    let file = f.edits[0].file;
                    if f.edits.iter().all(|e| e.file == file) {
                        by_file.entry(file).or_default().push((d.code, f));
                    }
                }
                for (file, fixes) in by_file {
                    let f = program.file(file);
                    if !f.summary.syntax_errors.is_empty() || f.text_changed() {
                        continue;
                    }
                    let text = f.text();
                    let applied = fix::apply(text, &fixes);
                    for r in applied.rejected {
                        let line = f.line_col(r.range.start()).0;
                        let seen = rejected.iter().any(|x| {
                            x.path == f.path && x.rejected.code == r.code && x.line == line
                        });
                        if !seen {
                            rejected.push(RejectedFix {
                                path: f.path.clone(),
                                line,
                                rejected: r,
                            });
                        }
                    }
                    if applied.fixed.is_empty() || applied.text == text {
                        continue;
                    }
                    changed = true;
                    let fixed: Arc<str> = Arc::from(applied.text);
                    match files.iter_mut().find(|x| x.path == f.path) {
                        Some(x) => {
                            x.fixed = fixed.clone();
                            x.codes.extend(applied.fixed);
                        }
                        None => files.push(FixedFile {
                            path: f.path.clone(),
                            original: Arc::from(text),
                            fixed: fixed.clone(),
                            codes: applied.fixed,
                        }),
                    }
                    overlay.insert(f.path.clone(), fixed);
                }
            }
            if !changed {
                return Ok(FixOutcome {
                    outcome,
                    files,
                    rejected,
                    settled: true,
                });
            }
        }
        let outcome = check_in_pool(found, &overlay)?;
        Ok(FixOutcome {
            outcome,
            files,
            rejected,
            settled: false,
        })
    })
}

/// Checks again with `overlay` as the text of those files (after a fixed file could not be
/// written, the report must describe what is on disk).
pub fn check_overlaid(
    paths: &[PathBuf],
    source: SettingsSource<'_>,
    overlay: &HashMap<PathBuf, Arc<str>>,
) -> Result<CheckOutcome, Error> {
    analysis_pool().install(|| {
        let found = discover::discover_with(paths, source)?;
        check_in_pool(found.by_project(), overlay)
    })
}

/// The files of each project, and the paths discovery skipped.
type Found = (
    Vec<(discover::Project, Vec<discover::FoundFile>)>,
    Vec<Skipped>,
);

fn check_in_pool(
    found: Found,
    overlay: &HashMap<PathBuf, Arc<str>>,
) -> Result<CheckOutcome, Error> {
    let (groups, mut skipped) = found;
    let mut projects = Vec::with_capacity(groups.len());
    for (project, files) in groups {
        let checked = check_project(project, files, overlay)?;
        skipped.extend(checked.program.unreadable.iter().map(|u| Skipped {
            path: u.path.clone(),
            reason: u.reason.clone(),
        }));
        projects.push(checked);
    }
    Ok(CheckOutcome { projects, skipped })
}

/// The installed dependencies of `project` its imports can reach (docs/dependencies.md):
/// `None` when it has no environment.
pub fn libraries_of(
    settings: &settings::Settings,
    root: &std::path::Path,
    files: &[discover::FoundFile],
    knowledge: &Knowledge,
) -> Result<Option<environment::Libraries>, Error> {
    let site_packages =
        environment::site_packages(&settings.python, root).map_err(Error::Environment)?;
    if site_packages.is_empty() {
        return Ok(None);
    }
    let own: rustc_hash::FxHashSet<String> = files
        .iter()
        .filter(|f| !f.module.is_empty())
        .map(|f| f.module.clone())
        .collect();
    Ok(Some(environment::Libraries::scan(
        &site_packages,
        knowledge,
        &own,
    )))
}

/// Parses, links and checks one project's files with its settings.
fn check_project(
    project: discover::Project,
    files: Vec<discover::FoundFile>,
    overlay: &HashMap<PathBuf, Arc<str>>,
) -> Result<Checked, Error> {
    // FORKLINT_TIMING=1 prints how long each phase took (for the benchmark's investigations).
    let timing = std::env::var_os("FORKLINT_TIMING").is_some();
    let t1 = std::time::Instant::now();
    let knowledge = Knowledge::load(&project.settings.knowledge_files)?;
    let (summaries, cache_warning) = match cache::SummaryCache::open(
        &project.settings.cache,
        &project.root,
        &project.settings,
    ) {
        Ok(cache) => (cache, None),
        Err(warning) => (None, Some(warning)),
    };
    let bundles = if project.settings.summaries.is_empty() {
        None
    } else {
        Some(cache::Bundles::load(&project.settings.summaries).map_err(Error::Summaries)?)
    };
    let bundles = bundles.as_ref();
    let libraries = libraries_of(&project.settings, &project.root, &files, &knowledge)?;
    let program = Program::build_overlaid(
        files,
        overlay,
        knowledge,
        project.settings.clone(),
        program::Stored {
            cache: summaries.as_ref(),
            bundles: bundles.map(|b| (b, cache::settings_key(&project.settings))),
        },
        libraries.as_ref(),
    );
    let cache = summaries.map(cache::SummaryCache::finish);
    let bundle_counts = bundles.map(cache::Bundles::counts);
    let t2 = std::time::Instant::now();
    let diagnostics = diagnose(&program);
    if timing {
        eprintln!(
            "timing: {}: parse+summarise+link {:?}, rules {:?}; {} effects; {}",
            project.root.display(),
            t2 - t1,
            t2.elapsed(),
            program.effects.len(),
            memory_report()
        );
        if let Some(stats) = cache {
            eprintln!("timing: cache {} hits, {} misses", stats.hits, stats.misses);
        }
    }
    Ok(Checked {
        project,
        program,
        diagnostics,
        cache,
        cache_warning,
        bundle_counts,
    })
}

/// Runs the selected rules on a linked program and applies the suppressions: the findings
/// `check` reports (and the editor server publishes), sorted by file and position.
pub fn diagnose(program: &Program) -> Vec<Diagnostic> {
    let selection = &program.settings.selection;
    // One cause, one finding: the rules that describe one start from several sides are
    // folded into one finding per statement, before `# noqa` reads them.
    let mut diagnostics = rules::combine::combine(rules::check_all(program, selection));
    // Messages quote the analysed code, which may hold terminal escapes or workflow-command
    // line breaks: untrusted text must not drive the terminal or the CI log.
    diagnostics
        .iter_mut()
        .for_each(Diagnostic::escape_control_characters);
    // `# noqa` directives, then FL002 for those that suppressed nothing (when selected).
    let status = |code: &str| match rules::by_code(code) {
        Some(rule) if selection.is_enabled(rule.code) => suppression::CodeStatus::Enabled,
        Some(_) => suppression::CodeStatus::Disabled,
        None => suppression::CodeStatus::Unknown,
    };
    let unused_noqa = rules::general::fl002_unused_noqa::RULE.code;
    let mut diagnostics = if program.settings.ignore_noqa {
        diagnostics
    } else {
        suppression::apply(
            program,
            diagnostics,
            selection.is_enabled(unused_noqa),
            &status,
        )
    };
    // The folded findings that no `# noqa` dropped are shown as notes in every format.
    for d in &mut diagnostics {
        let notes: Vec<String> = d
            .also
            .iter()
            .map(|c| rules::combine::note(&d.message, c))
            .collect();
        d.notes.extend(notes);
    }
    // `--unfixable`/`--fixable`: those rules' findings offer no fix, so none is applied.
    if !program.settings.unfixable.is_empty() {
        for d in &mut diagnostics {
            if program.settings.unfixable.contains(&d.code) {
                d.fix = None;
            }
        }
    }
    diagnostics.retain(|d| {
        d.code != unused_noqa
            || !selection.ignored_in_file(d.code, &program.file(d.primary.file).path)
    });
    if !program.settings.show_info {
        diagnostics.retain(|d| d.severity > diagnostic::Severity::Info);
    }
    // Installed dependencies are analysed for what the project calls in them, and appear in
    // chains, but their own findings are not the project's to fix.
    diagnostics.retain(|d| !program.file(d.primary.file).library);
    if let Some(scope) = &program.settings.report_only {
        // A finding involves a file when it is reported there or its chain passes through it:
        // an edit to `util.py` that makes `app.py`'s import start a thread is reported.
        let in_scope: Vec<bool> = program
            .files
            .iter()
            .map(|f| {
                let path = discover::absolute(&f.path);
                scope.iter().any(|s| path.starts_with(s))
            })
            .collect();
        diagnostics.retain(|d| {
            in_scope[d.primary.file.0 as usize]
                || d.trace.iter().any(|s| in_scope[s.location.file.0 as usize])
        });
    }
    diagnostics
}
