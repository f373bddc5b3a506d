//! Summaries → `Program`: modules, the import graph, the call graph, and effects propagated
//! through calls, each with enough provenance to show the chain that leads to it.

mod effects;
mod reach;
mod resolve;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use globset::{Glob, GlobSetBuilder};
use rayon::prelude::*;
use ruff_source_file::LineIndex;
use ruff_text_size::TextRange;

pub use effects::{Effect, EffectId, EffectSite, Resolved};
pub use reach::CallStep;
pub use resolve::{FnRef, MethodTarget, Target};

use crate::diagnostic::FileId;
use crate::discover::FoundFile;
use crate::knowledge::Knowledge;
use crate::settings::{Settings, StartMethod};
use crate::summary::{self, ModuleSummary, ProjectIndex};

/// How a file's top level runs (see docs/import-time.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileRole {
    /// Imported: its top level runs at import time, except inside a `__main__` guard.
    Module,
    /// An entry script (`__main__.py`, a shebang and no guard, or `--entry`): its whole top
    /// level is the main flow.
    Script,
}

/// Where a module-body event runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// While the module is being imported (holding its module lock).
    Import,
    /// The main flow of a script.
    Main,
}

pub struct ProgramFile {
    pub path: PathBuf,
    pub text: Arc<str>,
    pub summary: ModuleSummary,
    pub role: FileRole,
    /// Can run as the entry script (has a main guard, a shebang, or is configured as entry).
    pub can_be_entry: bool,
    pub is_dunder_main: bool,
    line_index: std::sync::OnceLock<LineIndex>,
}

impl ProgramFile {
    pub fn line_index(&self) -> &LineIndex {
        self.line_index
            .get_or_init(|| LineIndex::from_source_text(&self.text))
    }
    /// 1-based line and column (in characters) of an offset.
    pub fn line_col(&self, offset: ruff_text_size::TextSize) -> (usize, usize) {
        let lc = self.line_index().line_column(offset, &self.text);
        (lc.line.get(), lc.column.get())
    }
}

/// A file that could not be read; reported and skipped.
#[derive(Clone, Debug)]
pub struct Unreadable {
    pub path: PathBuf,
    pub reason: String,
}

pub struct Program {
    pub files: Vec<ProgramFile>,
    pub by_module: HashMap<String, FileId>,
    pub knowledge: Knowledge,
    pub settings: Settings,
    pub unreadable: Vec<Unreadable>,
    /// Every effect the project's code can perform, by id.
    pub effects: Vec<EffectSite>,
    /// Resolved events of each module body, parallel to `summary.body`.
    pub body_events: Vec<Vec<Vec<Resolved>>>,
    /// Resolved events of each function, `[file][func][event]`.
    pub fn_events: Vec<Vec<Vec<Vec<Resolved>>>>,
    reach: reach::Reach,
}

/// A file read from disk (or from an editor buffer).
pub struct Source {
    pub found: FoundFile,
    pub text: Arc<str>,
}

impl Program {
    /// Reads, parses and summarises `found` in parallel, then links the summaries.
    pub fn build(found: Vec<FoundFile>, knowledge: Knowledge, settings: Settings) -> Program {
        let read: Vec<Result<Source, Unreadable>> =
            found.into_par_iter().map(read_source).collect();
        let mut sources = Vec::new();
        let mut unreadable = Vec::new();
        for r in read {
            match r {
                Ok(s) => sources.push(s),
                Err(u) => unreadable.push(u),
            }
        }
        Self::from_sources(sources, unreadable, knowledge, settings)
    }

    pub fn from_sources(
        sources: Vec<Source>,
        unreadable: Vec<Unreadable>,
        knowledge: Knowledge,
        settings: Settings,
    ) -> Program {
        let modules: HashSet<String> = sources.iter().map(|s| s.found.module.clone()).collect();
        let entry = {
            let mut b = GlobSetBuilder::new();
            for g in &settings.entry_globs {
                if let Ok(g) = Glob::new(g) {
                    b.add(g);
                }
            }
            b.build().unwrap_or_default()
        };
        let packages = ProjectIndex::packages_of(&modules);
        let index = ProjectIndex {
            modules: &modules,
            packages: &packages,
            knowledge: &knowledge,
        };
        // The one pass over each AST, in parallel; the AST is dropped when it returns.
        let files: Vec<ProgramFile> = sources
            .into_par_iter()
            .map(|s| {
                let summary = summarize_guarded(&s, &index);
                let is_dunder_main = s.found.path.file_name().is_some_and(|n| n == "__main__.py");
                let is_entry = entry.is_match(&s.found.path)
                    || s.found.path.file_name().is_some_and(|n| entry.is_match(n));
                let role = if is_dunder_main
                    || is_entry
                    || (summary.has_shebang && !summary.has_main_guard)
                {
                    FileRole::Script
                } else {
                    FileRole::Module
                };
                let can_be_entry =
                    !is_dunder_main && (is_entry || summary.has_main_guard || summary.has_shebang);
                ProgramFile {
                    path: s.found.path,
                    text: s.text,
                    summary,
                    role,
                    can_be_entry,
                    is_dunder_main,
                    line_index: std::sync::OnceLock::new(),
                }
            })
            .collect();
        let mut by_module = HashMap::default();
        for (i, f) in files.iter().enumerate() {
            // Two files with one module name (a stray copy): the first, in path order, wins.
            by_module
                .entry(f.summary.module.clone())
                .or_insert(FileId(i as u32));
        }
        let mut program = Program {
            files,
            by_module,
            knowledge,
            settings,
            unreadable,
            effects: Vec::new(),
            body_events: Vec::new(),
            fn_events: Vec::new(),
            reach: reach::Reach::default(),
        };
        if std::env::var_os("FORKLINT_TIMING").is_some() {
            eprintln!("timing: summarised, {}", crate::memory_report());
        }
        let t = std::time::Instant::now();
        program.resolve_all();
        let t_resolve = t.elapsed();
        program.reach = reach::Reach::compute(&program);
        if std::env::var_os("FORKLINT_TIMING").is_some() {
            eprintln!(
                "timing: resolve {t_resolve:?}, reach {:?} ({} reach entries), {}",
                t.elapsed() - t_resolve,
                program.reach.total_entries(),
                crate::memory_report()
            );
        }
        program
    }

    pub fn file(&self, id: FileId) -> &ProgramFile {
        &self.files[id.0 as usize]
    }

    pub fn file_ids(&self) -> impl Iterator<Item = FileId> + '_ {
        (0..self.files.len() as u32).map(FileId)
    }

    /// Where a module-body event runs.
    pub fn context(&self, file: FileId, in_main_guard: bool) -> Context {
        if in_main_guard || self.file(file).role == FileRole::Script {
            Context::Main
        } else {
            Context::Import
        }
    }

    /// The effects a function performs, itself or through the functions it calls, in the order
    /// they first occur.
    pub fn reach(&self, f: FnRef) -> &[EffectId] {
        self.reach.of(f)
    }

    pub fn effect(&self, id: EffectId) -> &EffectSite {
        &self.effects[id.0 as usize]
    }

    /// The effects reached by one module-body event: its own, and those of what it calls.
    pub fn event_effects(&self, file: FileId, event: usize) -> Vec<(EffectId, Option<FnRef>)> {
        let mut out = Vec::new();
        for r in &self.body_events[file.0 as usize][event] {
            match r {
                Resolved::Effect(id) => out.push((*id, None)),
                Resolved::Call(f) => out.extend(self.reach(*f).iter().map(|id| (*id, Some(*f)))),
            }
        }
        out
    }

    /// The chain of calls from `from` to the function holding `effect`, shortest first found.
    pub fn call_path(&self, from: FnRef, effect: EffectId) -> Vec<CallStep> {
        reach::call_path(self, from, self.effect(effect).body)
    }

    /// The start method in force for a multiprocessing start: explicit at the call, else set
    /// process-wide earlier in the same module, else the default of the target cell.
    pub fn start_method(
        &self,
        explicit: Option<StartMethod>,
        set_in_module: Option<StartMethod>,
    ) -> StartMethod {
        explicit.or(set_in_module).unwrap_or_else(|| {
            StartMethod::default_for(self.settings.target_version, self.settings.platform)
        })
    }

    /// Modules whose import runs, transitively, when `file` is imported.
    pub fn import_closure(&self, roots: impl IntoIterator<Item = FileId>) -> HashSet<FileId> {
        let mut seen: HashSet<FileId> = HashSet::default();
        let mut stack: Vec<FileId> = roots.into_iter().collect();
        while let Some(f) = stack.pop() {
            if !seen.insert(f) {
                continue;
            }
            for (i, e) in self.summary(f).body.iter().enumerate() {
                if self.context(f, e.in_main_guard) != Context::Import {
                    continue;
                }
                for (id, _) in self.event_effects(f, i) {
                    if let Effect::Import { modules, .. } = &self.effect(id).effect {
                        stack.extend(modules.iter().copied());
                    }
                }
            }
        }
        seen
    }

    /// Modules that import `file`, directly or transitively, at import time or from a main flow.
    pub fn importers_closure(&self, file: FileId) -> HashSet<FileId> {
        let mut importers: HashMap<FileId, Vec<FileId>> = HashMap::default();
        for f in self.file_ids() {
            for i in 0..self.summary(f).body.len() {
                for (id, _) in self.event_effects(f, i) {
                    if let Effect::Import { modules, .. } = &self.effect(id).effect {
                        for m in modules {
                            importers.entry(*m).or_default().push(f);
                        }
                    }
                }
            }
        }
        let mut seen = HashSet::default();
        let mut stack = vec![file];
        while let Some(f) = stack.pop() {
            for &imp in importers.get(&f).map(Vec::as_slice).unwrap_or(&[]) {
                if seen.insert(imp) {
                    stack.push(imp);
                }
            }
        }
        seen
    }

    /// Range of a module-body event.
    pub fn event_range(&self, file: FileId, event: usize) -> TextRange {
        self.summary(file).body[event].range
    }
}

fn read_source(found: FoundFile) -> Result<Source, Unreadable> {
    match std::fs::read(&found.path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(Source {
                found,
                text: Arc::from(text),
            }),
            Err(e) => Err(Unreadable {
                path: found.path,
                reason: format!(
                    "not valid UTF-8 (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            }),
        },
        Err(e) => Err(Unreadable {
            path: found.path,
            reason: e.to_string(),
        }),
    }
}

/// Summarises one file on a thread with a large stack, turning a panic into a problem
/// reported for that file instead of a crash.
fn summarize_guarded(s: &Source, index: &ProjectIndex<'_>) -> ModuleSummary {
    let run = || summary::summarize(&s.text, &s.found.module, s.found.is_package, index);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(summary) => summary,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            ModuleSummary {
                module: s.found.module.clone(),
                is_package: s.found.is_package,
                syntax_errors: vec![summary::SyntaxProblem {
                    range: TextRange::default(),
                    message: format!(
                        "internal error while analysing this file (please report it): {what}"
                    ),
                }],
                ..ModuleSummary::default()
            }
        }
    }
}
