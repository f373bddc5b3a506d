//! Summaries → `Program`: modules, the import graph, the call graph, and effects propagated
//! through calls, each with enough provenance to show the chain that leads to it.

mod decode;
mod effects;
mod fork_flow;
mod green;
mod import_order;
mod points_to;
mod reach;
mod reached;
mod resolve;
pub mod servers;
mod start_methods;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSetBuilder};
use rayon::prelude::*;
use ruff_source_file::LineIndex;
use ruff_text_size::TextRange;

pub use decode::{DecodeError, SourceEncoding};
pub use effects::{
    Body, Effect, EffectId, EffectSite, EventFlags, FileResolution, FunctionEvents, HandoffKind,
    Resolved, ResolvedEvents, SubiOp,
};
pub use fork_flow::{
    CellGrid, Cells, ForkFlow, ImportThread, Methods, SinkReport, ThreadSource, Via,
};
pub use import_order::ImportedBy;
pub use points_to::{FlowModule, Obj, ObjId, PointsTo};
pub use points_to::{MAX_EXTERNAL_PARTS, ScopeRef};
pub use reach::{CallSite, CallStep, SkippedEvents};
pub use reached::{Phase, Reached, is_test_module, library_hook};
pub use resolve::{FnRef, MethodTarget, Target};
pub use start_methods::MethodSet;

use crate::cache::SummaryCache;
use crate::diagnostic::FileId;
use crate::discover::FoundFile;
use crate::environment::Libraries;
use crate::fix::source::FixSource;
use crate::knowledge::Knowledge;
use crate::settings::{Platform, PythonVersion, Settings, StartMethod};
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

/// What a file alone says about being run directly (see docs/import-time.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryEvidence {
    /// `__main__.py`: run by `python -m pkg` (or a zip application), never re-imported.
    DunderMain,
    /// Given with `--entry` or configured as `entry`.
    Configured,
    /// A shebang (`#!`) and no `__main__` guard.
    Shebang,
    /// An `if __name__ == "__main__":` guard: run directly *and* imported.
    MainGuard,
    /// Nothing: a module, unless the layout says otherwise.
    None,
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
    /// The source, when it is kept (editor buffers); otherwise read again from disk the
    /// first time a diagnostic needs it. Keeping every file's text would be a fifth of the
    /// memory on a large project, for the few files that get a finding.
    text: std::sync::OnceLock<Arc<str>>,
    /// Length and hash of the text that was analysed, to notice a file changed on disk since.
    analysed: (usize, u64),
    pub summary: ModuleSummary,
    /// How its top level runs, from the file and from what imports it ([`Program::link`]
    /// refines what the file alone says, `own`).
    pub role: FileRole,
    /// Can run as the entry script (has a main guard, a shebang, is configured as entry, or
    /// is a script by what imports it: see [`Program::link`] and docs/import-time.md).
    pub can_be_entry: bool,
    pub is_dunder_main: bool,
    /// Why it is (or may be) an entry script, as far as the file alone tells.
    pub own: EntryEvidence,
    /// How the file's bytes were decoded: a fix rewrites only a UTF-8 file (writing another
    /// codec back is not supported).
    pub encoding: SourceEncoding,
    /// `can_be_entry`, or its top level reads the command line, or nothing in the project
    /// imports the file and no package holds it (run directly or imported from outside,
    /// `gunicorn app:app`): both readings are reported (FL107 as a script, the import-time
    /// rules as a module).
    pub may_run_directly: bool,
    /// A module of an installed dependency: analysed, never reported in, never an entry.
    pub library: bool,
    line_index: std::sync::OnceLock<LineIndex>,
}

impl ProgramFile {
    /// The source text that was analysed. Read again from disk when it was not kept; if the
    /// file has changed or vanished since, the current contents (or nothing) are returned and
    /// [`ProgramFile::text_changed`] says so. Offsets into it must be clamped, never trusted.
    pub fn text(&self) -> &str {
        self.text.get_or_init(|| {
            std::fs::read(&self.path)
                .ok()
                .and_then(|bytes| decode::decode(bytes).ok())
                .map_or_else(|| Arc::from(""), |(text, _)| Arc::from(text))
        })
    }

    /// Whether the text on disk is no longer the text that was analysed.
    pub fn text_changed(&self) -> bool {
        let text = self.text();
        (text.len(), text_hash(text)) != self.analysed
    }

    pub fn line_index(&self) -> &LineIndex {
        self.line_index
            .get_or_init(|| LineIndex::from_source_text(self.text()))
    }

    /// 1-based line and column (in characters) of an offset (clamped to the text, and to a
    /// character boundary, should the file have changed since it was analysed).
    pub fn line_col(&self, offset: ruff_text_size::TextSize) -> (usize, usize) {
        let text = self.text();
        let mut offset = usize::from(offset).min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let lc = self
            .line_index()
            .line_column(ruff_text_size::TextSize::new(offset as u32), text);
        (lc.line.get(), lc.column.get())
    }

    /// The text of `range`, or `""` when it no longer fits the text.
    pub fn slice(&self, range: TextRange) -> &str {
        self.text()
            .get(usize::from(range.start())..usize::from(range.end()))
            .unwrap_or("")
    }
}

fn text_hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    text.hash(&mut h);
    h.finish()
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
    /// Every module name of the project, readable or not: what imports resolve against when a
    /// file is summarised.
    pub modules: HashSet<String>,
    /// Keep each function's events in its summary after resolving them, so that the program
    /// can be linked again ([`Program::unlink`]); a one-shot check drops them to save memory.
    keep_function_events: bool,
    pub knowledge: Knowledge,
    pub settings: Settings,
    pub unreadable: Vec<Unreadable>,
    /// Every effect the project's code can perform, by id.
    pub effects: Vec<EffectSite>,
    /// Resolved events of each module body, parallel to `summary.body`.
    pub body_events: Vec<ResolvedEvents>,
    /// Resolved events of each file's functions.
    pub fn_events: Vec<FunctionEvents>,
    reach: reach::Reach,
    /// Calls that certainly skip guarded events of their callee: an argument, or the
    /// parameter's default when none is passed, is a literal on which a test of the
    /// parameter is false ([`summary::ParamGuard`]). What such a call reaches is less than
    /// its callee's reach ([`Program::call_reach`]).
    skipped_calls: HashMap<CallSite, SkippedEvents>,
    /// Module names some module sets from outside (`server.debug = 1`): not constants, so
    /// the clauses they decide ([`summary::ConstantGuard`]) may run.
    set_from_outside: HashSet<(String, summary::Name)>,
    first_importers: std::sync::OnceLock<HashMap<FileId, EffectId>>,
    fork_flow: std::sync::OnceLock<ForkFlow>,
    green_starts: std::sync::OnceLock<green::GreenStarts>,
    points_to: std::sync::OnceLock<PointsTo>,
    /// Which functions run (see [`reached`]): from the calls the summaries resolve, and then
    /// with the value flow's calls and callbacks too (which needs the costly value flow).
    reached_by_calls: std::sync::OnceLock<Reached>,
    reached: std::sync::OnceLock<Reached>,
    /// Names of the extension modules the project's native sources define with a thread
    /// taking the GIL at init (FL402).
    pub native_names: HashSet<String>,
    /// Files parsed again for their fixes (see [`crate::fix::source`]), each once.
    fix_sources: std::sync::Mutex<HashMap<FileId, Option<Arc<FixSource>>>>,
    /// Each file's resolution, kept (with `keep_function_events`) to be reused by the next
    /// link; `None` for a file to resolve again.
    resolutions: Vec<Option<Arc<FileResolution>>>,
}

/// What [`Program::link`] links: summarised files, and what it needs to know of the rest.
pub struct LinkInput {
    pub files: Vec<ProgramFile>,
    pub unreadable: Vec<Unreadable>,
    pub modules: HashSet<String>,
    pub keep_function_events: bool,
    fix_sources: HashMap<FileId, Option<Arc<FixSource>>>,
    resolutions: Vec<Option<Arc<FileResolution>>>,
}

impl LinkInput {
    /// Replaces a file by its new summary. Its parsed fix source and its resolution are
    /// dropped; so are every other file's resolutions when what they can see of this file
    /// (its interface: names, classes, what functions return) changed.
    pub fn replace(&mut self, file: FileId, new: ProgramFile) {
        self.fix_sources.remove(&file);
        let old = &self.files[file.0 as usize];
        if !same_interface(&old.summary, &new.summary) {
            self.resolutions.clear();
        } else if let Some(slot) = self.resolutions.get_mut(file.0 as usize) {
            *slot = None;
        }
        self.files[file.0 as usize] = new;
    }

    /// Files summarised by [`Analyser::analyse`], for a program that can be linked again.
    pub fn relinkable(
        files: Vec<ProgramFile>,
        unreadable: Vec<Unreadable>,
        modules: HashSet<String>,
    ) -> LinkInput {
        LinkInput {
            files,
            unreadable,
            modules,
            keep_function_events: true,
            fix_sources: HashMap::default(),
            resolutions: Vec::new(),
        }
    }
}

/// Whether two summaries of one file look the same to the resolution of *other* files: the
/// same module, names, classes and function signatures as far as linking reads them. Event
/// lists and source ranges do not count (an edit inside a function body changes only those).
/// When in doubt, a field is compared: a false "different" costs time, a false "same" would
/// cost correctness.
fn same_interface(a: &ModuleSummary, b: &ModuleSummary) -> bool {
    let same_functions = a.functions.len() == b.functions.len()
        && a.functions.iter().zip(&b.functions).all(|(x, y)| {
            x.qualname == y.qualname
                && x.class == y.class
                && x.returns == y.returns
                && x.ends_in_exit == y.ends_in_exit
                && x.code_string == y.code_string
                && x.long_loop.as_ref().map(|l| l.forever) == y.long_loop.as_ref().map(|l| l.forever)
                // What a call of it skips (other files' resolutions note that).
                && x.guards == y.guards
                && x.receiver == y.receiver
        });
    let same_classes = a.classes.len() == b.classes.len()
        && a.classes.iter().zip(&b.classes).all(|(x, y)| {
            x.qualname == y.qualname
                && x.bases == y.bases
                && x.methods == y.methods
                && x.attrs == y.attrs
                && x.daemon == y.daemon
        });
    a.module == b.module
        && a.is_package == b.is_package
        && a.native == b.native
        && a.exports == b.exports
        && a.function_index == b.function_index
        && a.class_index == b.class_index
        && a.has_main_guard == b.has_main_guard
        && a.has_shebang == b.has_shebang
        && a.reads_command_line == b.reads_command_line
        && a.runs_forever == b.runs_forever
        && a.syntax_errors.is_empty() == b.syntax_errors.is_empty()
        && a.incomplete.is_some() == b.incomplete.is_some()
        // Which other modules' constants this one sets.
        && a.module_attr_stores == b.module_attr_stores
        && same_functions
        && same_classes
}

/// Summarises files for a project whose set of modules is known: the part of building a
/// program that reads each file (and the only part that parses).
pub struct Analyser<'a> {
    modules: &'a HashSet<String>,
    packages: HashSet<String>,
    knowledge: &'a Knowledge,
    platforms: &'a [Platform],
    versions: &'a [PythonVersion],
    import_prefixes: &'a [String],
    entry: globset::GlobSet,
    cache: Option<&'a SummaryCache>,
    /// [`crate::cache::settings_key`] of the settings (for looking up bundled summaries).
    settings_key: u128,
    bundles: Option<&'a crate::cache::Bundles>,
}

impl<'a> Analyser<'a> {
    pub fn new(
        modules: &'a HashSet<String>,
        knowledge: &'a Knowledge,
        settings: &'a Settings,
    ) -> Self {
        let entry = {
            let mut b = GlobSetBuilder::new();
            for g in &settings.entry_globs {
                if let Ok(g) = Glob::new(g) {
                    b.add(g);
                }
            }
            b.build().unwrap_or_default()
        };
        Analyser {
            packages: ProjectIndex::packages_of(modules),
            modules,
            knowledge,
            platforms: &settings.platforms,
            versions: &settings.target_versions,
            import_prefixes: &settings.import_prefixes,
            entry,
            cache: None,
            settings_key: 0,
            bundles: None,
        }
    }

    /// Reads summaries from `stored`'s bundles, then its cache, before parsing.
    pub fn with_stored(mut self, stored: Stored<'a>) -> Self {
        self.cache = stored.cache;
        if let Some((bundles, settings_key)) = stored.bundles {
            self.bundles = Some(bundles);
            self.settings_key = settings_key;
        }
        self
    }

    /// `forklint summarize`: reads and summarises `found`, with the key of its summary under
    /// `settings_key`; `None` for a file whose summary is never stored (a native source, a
    /// file not valid in its encoding, a failure of the summariser: `check` makes those
    /// again).
    pub fn stored_summary(
        &self,
        found: FoundFile,
        settings_key: u128,
    ) -> Result<Option<(u128, ModuleSummary)>, Unreadable> {
        let s = read_source(found)?;
        if !storable(&s) {
            return Ok(None);
        }
        let index = self.index();
        let (summary, sound) = summarize_guarded(&s, &index);
        let key =
            crate::cache::entry_key(settings_key, &s.found.module, s.found.is_package, &s.text);
        Ok(sound.then_some((key, summary)))
    }

    fn index(&self) -> ProjectIndex<'_> {
        ProjectIndex::new(
            self.modules,
            &self.packages,
            self.knowledge,
            self.platforms,
            self.versions,
            self.import_prefixes,
        )
    }

    /// The summary of `s`: from the cache when it holds one made from the same text, name
    /// and settings whose assumptions about the project's modules still hold; else made
    /// now (and stored, unless the summariser failed).
    fn summary(&self, s: &Source, index: &ProjectIndex<'_>) -> ModuleSummary {
        let cacheable = storable(s);
        // Bundles hold the build's own targets; installed dependencies are parsed (or
        // taken from the cache), and do not count as missing from the bundles.
        if let Some(bundles) = self.bundles.filter(|_| cacheable && !s.found.library) {
            let key = crate::cache::entry_key(
                self.settings_key,
                &s.found.module,
                s.found.is_package,
                &s.text,
            );
            if let Some(summary) = bundles.take(key, index) {
                return summary;
            }
        }
        let Some(cache) = self.cache.filter(|_| cacheable) else {
            return summarize_guarded(s, index).0;
        };
        let key = cache.key(&s.found.module, s.found.is_package, &s.text);
        if let Some(summary) = cache.get(&s.found.path, key, index) {
            return summary;
        }
        let (summary, sound) = summarize_guarded(s, index);
        if sound {
            cache.put(&s.found.path, key, &summary);
        }
        summary
    }

    /// Parses and summarises one file (a panic in the summariser becomes a problem reported
    /// for that file).
    pub fn analyse(&self, s: Source) -> ProgramFile {
        let index = self.index();
        let summary = self.summary(&s, &index);
        let is_dunder_main = s.found.path.file_name().is_some_and(|n| n == "__main__.py");
        // Configured entry globs are anchored at the configuration's directory.
        let entry = &self.entry;
        let is_entry = entry.is_match(&s.found.path)
            || s.found.path.file_name().is_some_and(|n| entry.is_match(n))
            || entry.is_match(crate::discover::absolute(&s.found.path));
        let own = if is_dunder_main {
            EntryEvidence::DunderMain
        } else if is_entry {
            EntryEvidence::Configured
        } else if summary.has_main_guard {
            EntryEvidence::MainGuard
        } else if summary.has_shebang {
            EntryEvidence::Shebang
        } else {
            EntryEvidence::None
        };
        let role = match own {
            EntryEvidence::DunderMain | EntryEvidence::Configured | EntryEvidence::Shebang => {
                FileRole::Script
            }
            EntryEvidence::MainGuard | EntryEvidence::None => FileRole::Module,
        };
        let can_be_entry =
            !is_dunder_main && (is_entry || summary.has_main_guard || summary.has_shebang);
        let analysed = (s.text.len(), text_hash(&s.text));
        let text = std::sync::OnceLock::new();
        if s.keep_text {
            let _ = text.set(s.text);
        }
        ProgramFile {
            path: s.found.path,
            text,
            analysed,
            summary,
            role,
            can_be_entry,
            is_dunder_main,
            own,
            may_run_directly: false,
            library: s.found.library,
            encoding: s.encoding,
            line_index: std::sync::OnceLock::new(),
        }
    }

    /// Reads a file from disk and summarises it.
    pub fn analyse_on_disk(&self, found: FoundFile) -> Result<ProgramFile, Unreadable> {
        read_source(found).map(|s| self.analyse(s))
    }
}

/// Summaries stored by earlier runs, read instead of parsing where they fit.
#[derive(Clone, Copy, Default)]
pub struct Stored<'a> {
    /// The project's summary cache.
    pub cache: Option<&'a SummaryCache>,
    /// `check --summaries`: bundles written by `forklint summarize`, with the
    /// [`crate::cache::settings_key`] of the settings they are looked up under.
    pub bundles: Option<(&'a crate::cache::Bundles, u128)>,
}

/// A file read from disk (or from an editor buffer).
pub struct Source {
    pub found: FoundFile,
    pub text: Arc<str>,
    /// Keep the text in memory after analysis (an editor buffer, which is not on disk as
    /// such); otherwise it is read again from disk when a diagnostic needs it.
    pub keep_text: bool,
    /// How the file's bytes were decoded (PEP 263); an editor buffer is UTF-8.
    pub encoding: SourceEncoding,
}

/// A file to analyse: on disk (read in the same parallel pass that parses it) or already in
/// memory.
enum Input {
    Disk(FoundFile),
    Memory(Source),
}

impl Input {
    fn module(&self) -> &str {
        match self {
            Input::Disk(f) => &f.module,
            Input::Memory(s) => &s.found.module,
        }
    }
}

/// Appends to `files` the library modules their imports reach, transitively (at import time
/// or in a function: what a function imports runs when it is called), each summarised by
/// `summarise`, in a deterministic order. A library file that cannot be read is left out
/// silently (`summarise` drops it): it is not the project's to fix, and its module still
/// exists for the imports.
pub fn add_reached_libraries(
    files: &mut Vec<ProgramFile>,
    libraries: &Libraries,
    summarise: impl Fn(Vec<FoundFile>) -> Vec<ProgramFile>,
) {
    let mut reached: HashSet<&str> = HashSet::default();
    let mut frontier = 0..files.len();
    loop {
        let mut next: Vec<FoundFile> = Vec::new();
        for f in &files[frontier.clone()] {
            for name in imported_names(&f.summary) {
                for lib in libraries.run_by_import(&name) {
                    if reached.insert(lib.module.as_str()) {
                        next.push(lib.clone());
                    }
                }
            }
        }
        if next.is_empty() {
            return;
        }
        next.sort_by(|a, b| a.path.cmp(&b.path));
        let start = files.len();
        files.extend(summarise(next));
        frontier = start..files.len();
    }
}

/// The module names a file's imports may load, anywhere in it: `a.b` for `import a.b`, and
/// `a.b` and `a.b.c` for `from a.b import c` (`c` may be a submodule).
pub fn imported_names(summary: &ModuleSummary) -> Vec<String> {
    let events = summary
        .body
        .iter()
        .chain(summary.functions.iter().flat_map(|f| &f.events));
    let mut out = Vec::new();
    for e in events {
        if let crate::summary::EventKind::Import { module, names, .. } = &e.kind {
            out.push(module.to_string());
            out.extend(names.iter().map(|n| format!("{module}.{n}")));
        }
    }
    out
}

impl Program {
    /// Reads, parses and summarises `found` in parallel (one pass: each file is read, parsed,
    /// summarised and its AST dropped by one task), then links the summaries.
    pub fn build(found: Vec<FoundFile>, knowledge: Knowledge, settings: Settings) -> Program {
        let inputs = found.into_iter().map(Input::Disk).collect();
        Self::from_inputs(
            inputs,
            Vec::new(),
            knowledge,
            settings,
            Stored::default(),
            None,
        )
    }

    /// Like [`Program::build`], but files whose path is in `overlay` are analysed with that
    /// text instead of the one on disk (the passes of `--fix`, which write nothing until the
    /// end).
    pub fn build_overlaid(
        found: Vec<FoundFile>,
        overlay: &std::collections::HashMap<PathBuf, Arc<str>>,
        knowledge: Knowledge,
        settings: Settings,
        stored: Stored<'_>,
        libraries: Option<&Libraries>,
    ) -> Program {
        let inputs = found
            .into_iter()
            .map(|found| {
                match overlay
                    .get(&found.path)
                    .or_else(|| overlay.get(&crate::discover::absolute(&found.path)))
                {
                    Some(text) => Input::Memory(Source {
                        found,
                        text: text.clone(),
                        keep_text: true,
                        encoding: crate::program::SourceEncoding::Utf8,
                    }),
                    None => Input::Disk(found),
                }
            })
            .collect();
        Self::from_inputs(inputs, Vec::new(), knowledge, settings, stored, libraries)
    }

    /// Like [`Program::build`], for sources already in memory (editor buffers, tests).
    pub fn from_sources(
        sources: Vec<Source>,
        unreadable: Vec<Unreadable>,
        knowledge: Knowledge,
        settings: Settings,
    ) -> Program {
        let inputs = sources.into_iter().map(Input::Memory).collect();
        Self::from_inputs(
            inputs,
            unreadable,
            knowledge,
            settings,
            Stored::default(),
            None,
        )
    }

    fn from_inputs(
        inputs: Vec<Input>,
        mut unreadable: Vec<Unreadable>,
        knowledge: Knowledge,
        settings: Settings,
        stored: Stored<'_>,
        libraries: Option<&Libraries>,
    ) -> Program {
        // Every discovered module counts as the project's, even one that then cannot be read:
        // it exists, its effects are just unknown.
        let mut modules: HashSet<String> = inputs
            .iter()
            .filter(|i| !i.module().is_empty())
            .map(|i| i.module().to_string())
            .collect();
        // The installed dependencies' modules count too (the project's own win a clash:
        // [`Libraries::scan`] leaves those out); only those the imports reach are read.
        if let Some(libraries) = libraries {
            modules.extend(libraries.names().cloned());
        }
        let t_summarise = std::time::Instant::now();
        let analyser = Analyser::new(&modules, &knowledge, &settings).with_stored(stored);
        // The one pass over each AST, in parallel; the AST is dropped when it returns.
        let summarise = |inputs: Vec<Input>| -> Vec<Result<ProgramFile, Unreadable>> {
            inputs
                .into_par_iter()
                .map(|input| {
                    let s = match input {
                        Input::Disk(found) => read_source(found)?,
                        Input::Memory(s) => s,
                    };
                    Ok(analyser.analyse(s))
                })
                .collect()
        };
        let mut files = Vec::with_capacity(inputs.len());
        for r in summarise(inputs) {
            match r {
                Ok(f) => files.push(f),
                Err(u) => unreadable.push(u),
            }
        }
        if let Some(libraries) = libraries {
            add_reached_libraries(&mut files, libraries, |found| {
                summarise(found.into_iter().map(Input::Disk).collect())
                    .into_iter()
                    .filter_map(Result::ok)
                    .collect()
            });
        }
        drop(analyser);
        if std::env::var_os("FORKLINT_TIMING").is_some() {
            let body: usize = files.iter().map(|f| f.summary.body.len()).sum();
            let functions: usize = files.iter().map(|f| f.summary.functions.len()).sum();
            let fn_events: usize = files
                .iter()
                .flat_map(|f| &f.summary.functions)
                .map(|f| f.events.len())
                .sum();
            let exports: usize = files.iter().map(|f| f.summary.exports.len()).sum();
            eprintln!(
                "timing: summarised {:?}, {} body events, {} functions, {} function events, {} \
                 exports, {}",
                t_summarise.elapsed(),
                body,
                functions,
                fn_events,
                exports,
                crate::memory_report()
            );
        }
        Program::link(
            LinkInput {
                files,
                unreadable,
                modules,
                keep_function_events: false,
                fix_sources: HashMap::default(),
                resolutions: Vec::new(),
            },
            knowledge,
            settings,
        )
    }

    /// Links summarised files into a program: resolves imports and calls across modules and
    /// propagates effects. `input.files` keep their order (a file's [`FileId`] is its index).
    pub fn link(input: LinkInput, knowledge: Knowledge, settings: Settings) -> Program {
        let LinkInput {
            files,
            unreadable,
            modules,
            keep_function_events,
            fix_sources,
            resolutions,
        } = input;
        let mut by_module = HashMap::default();
        for (i, f) in files.iter().enumerate() {
            // Two files with one module name (a stray copy): the first, in path order, wins.
            // Native sources have no module name.
            if f.summary.native.is_some() {
                continue;
            }
            by_module
                .entry(f.summary.module.clone())
                .or_insert(FileId(i as u32));
        }
        let mut program = Program {
            files,
            by_module,
            modules,
            knowledge,
            settings,
            unreadable,
            keep_function_events,
            effects: Vec::new(),
            body_events: Vec::new(),
            fn_events: Vec::new(),
            reach: reach::Reach::default(),
            skipped_calls: HashMap::default(),
            set_from_outside: HashSet::default(),
            first_importers: std::sync::OnceLock::new(),
            fork_flow: std::sync::OnceLock::new(),
            green_starts: std::sync::OnceLock::new(),
            points_to: std::sync::OnceLock::new(),
            reached_by_calls: std::sync::OnceLock::new(),
            reached: std::sync::OnceLock::new(),
            native_names: HashSet::default(),
            fix_sources: std::sync::Mutex::new(fix_sources),
            resolutions,
        };
        program.native_names = program
            .files
            .iter()
            .flat_map(|f| f.summary.native.iter().flatten())
            .map(|n| n.module.clone())
            .collect();
        program.set_from_outside = program
            .files
            .iter()
            .flat_map(|f| f.summary.module_attr_stores.iter().cloned())
            .collect();
        let t = std::time::Instant::now();
        program.resolve_all();
        program.assign_roles();
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

    /// Takes a program built with `keep_function_events` apart again, to link it anew after
    /// some of its files changed (the editor server). The parsed fix sources of files that
    /// are kept stay valid and are handed back too.
    pub fn unlink(self) -> (LinkInput, Knowledge, Settings) {
        let fix_sources = self.fix_sources.into_inner().unwrap_or_default();
        let input = LinkInput {
            files: self.files,
            unreadable: self.unreadable,
            modules: self.modules,
            keep_function_events: self.keep_function_events,
            fix_sources,
            resolutions: self.resolutions,
        };
        (input, self.knowledge, self.settings)
    }

    pub fn file(&self, id: FileId) -> &ProgramFile {
        &self.files[id.0 as usize]
    }

    /// The syntax tree of `file` for building a fix, parsed on first use; `None` for a file
    /// that does not parse or changed on disk since it was analysed (its offsets would lie).
    pub fn fix_source(&self, file: FileId) -> Option<Arc<FixSource>> {
        let f = self.file(file);
        if f.summary.native.is_some()
            || !f.summary.syntax_errors.is_empty()
            || !f.encoding.is_utf8()
            || f.text_changed()
        {
            return None;
        }
        if let Some(cached) = self.fix_sources.lock().ok()?.get(&file) {
            return cached.clone();
        }
        // Parsed outside the lock: other rules' fixes in other files need not wait.
        let parsed = FixSource::parse(file, Arc::from(f.text())).map(Arc::new);
        let mut cache = self.fix_sources.lock().ok()?;
        cache.entry(file).or_insert(parsed).clone()
    }

    pub fn file_ids(&self) -> impl Iterator<Item = FileId> + '_ {
        (0..self.files.len() as u32).map(FileId)
    }

    /// How each file's top level runs, from what the file says ([`EntryEvidence`]) and from
    /// the resolved imports (docs/import-time.md):
    /// - a file that no project module imports, with no main guard and not a test module
    ///   (pytest imports those), is a script when its top level reads the command line
    ///   (`sys.argv`, `parse_args()`), or when no package holds it (no `__init__.py` beside
    ///   it) and it is not at a source root (`python docs/examples/x.py`, a test helper run
    ///   in a subprocess); at a source root it stays a module (a server may import it by
    ///   name) that may also run directly;
    /// - a file with a shebang and no guard that a project module imports is imported too:
    ///   its top level runs at import time (and it can still be run as a script, FL107).
    fn assign_roles(&mut self) {
        let mut imported: HashSet<FileId> = HashSet::default();
        for s in &self.effects {
            if let Effect::Import { modules, .. } = &s.effect {
                imported.extend(modules.iter().filter(|&&m| m != s.body.file()));
            }
        }
        let package_dirs: HashSet<&std::path::Path> = self
            .files
            .iter()
            .filter(|f| f.path.file_name().is_some_and(|n| n == "__init__.py"))
            .filter_map(|f| f.path.parent())
            .collect();
        // A package's `__init__.py` may not be among the files checked (a file named on the
        // command line): then the directory itself tells.
        let in_package = |path: &Path| {
            path.parent()
                .is_some_and(|d| package_dirs.contains(d) || d.join("__init__.py").is_file())
        };
        let mut layout_scripts = Vec::new();
        for (i, f) in self.files.iter().enumerate() {
            let id = FileId(i as u32);
            // A script: reading the command line at its top level (`bootstrap.py`, and in a
            // package too: `python -m pkg.tool`), or looping forever there (an import of it
            // would never return), or outside packages and below a source root
            // (`docs/examples/x.py`: Python's imports cannot reach it). A plain file at a
            // source root that nothing imports may be imported from outside (`gunicorn
            // app:app`, `celery -A tasks`): still a module, that may also run directly.
            let unimported = f.own == EntryEvidence::None
                && f.summary.native.is_none()
                && !imported.contains(&id)
                && !is_test_module(&f.path);
            let outside_packages = unimported && !in_package(&f.path);
            let script = unimported
                && (f.summary.reads_command_line
                    || f.summary.runs_forever
                    || outside_packages && f.summary.module.contains('.'));
            layout_scripts.push((script, outside_packages, imported.contains(&id)));
        }
        for (f, (script, may_run, imported)) in self.files.iter_mut().zip(layout_scripts) {
            f.role = match f.own {
                EntryEvidence::DunderMain | EntryEvidence::Configured => FileRole::Script,
                EntryEvidence::Shebang if !imported => FileRole::Script,
                EntryEvidence::None if script => FileRole::Script,
                _ => FileRole::Module,
            };
            f.can_be_entry = !f.is_dunder_main && (f.own != EntryEvidence::None || script);
            // A top level that reads the command line is run directly, imported or not: an
            // imported one gets both readings (its import-time findings, and FL107's).
            f.may_run_directly =
                f.can_be_entry || may_run || f.summary.reads_command_line || f.summary.runs_forever;
            if f.library {
                // Installed code the project imports: it runs as a module, never as the
                // program's script (its `__main__` guards and command-line tools are not
                // the project's entry points).
                f.role = FileRole::Module;
                f.can_be_entry = false;
                f.may_run_directly = false;
            }
        }
    }

    /// Where a module-body event runs.
    pub fn context(&self, file: FileId, in_main_guard: bool) -> Context {
        if in_main_guard || self.file(file).role == FileRole::Script {
            Context::Main
        } else {
            Context::Import
        }
    }

    /// Numbers every function of the project from 0: the offset of each file's first
    /// function, and how many there are in all (for per-function tables).
    pub(crate) fn function_offsets(&self) -> (Vec<usize>, usize) {
        let mut offsets = Vec::with_capacity(self.files.len());
        let mut total = 0;
        for per_fn in &self.fn_events {
            offsets.push(total);
            total += per_fn.len();
        }
        (offsets, total)
    }

    /// The effects a function performs, itself or through the functions it calls, in the order
    /// they first occur.
    pub fn reach(&self, f: FnRef) -> &[EffectId] {
        self.reach.of(f)
    }

    pub fn effect(&self, id: EffectId) -> &EffectSite {
        &self.effects[id.0 as usize]
    }

    /// The work at which the value flow gave up on this project (too large to solve), if it
    /// was computed and did.
    pub fn value_flow_exhausted(&self) -> Option<u64> {
        self.points_to.get().and_then(PointsTo::exhausted)
    }

    /// What each variable of the project may hold, and the call graph that follows
    /// (computed on first use).
    pub fn points_to(&self) -> &PointsTo {
        self.points_to.get_or_init(|| {
            let t = std::time::Instant::now();
            let modules: Vec<FlowModule<'_>> = self
                .files
                .iter()
                .enumerate()
                .map(|(i, f)| FlowModule {
                    file: FileId(i as u32),
                    module: &f.summary.module,
                    flow: &f.summary.flow,
                })
                .collect();
            let library = points_to::Library {
                returns: self.knowledge.returns(),
                classes: self.knowledge.classes(),
                callbacks: self
                    .knowledge
                    .callbacks()
                    .into_iter()
                    .map(|(name, api)| (name, points_to::Callback::of(api)))
                    .collect(),
            };
            let solved = PointsTo::solve(&modules, &library);
            if std::env::var_os("FORKLINT_TIMING").is_some() {
                eprintln!("timing: points-to {:?}, {}", t.elapsed(), solved.stats());
            }
            solved
        })
    }

    /// Whether `body` runs in `phase`: a module body runs before exit; a function does when a
    /// path of calls leads to it from a root (see [`Reached`]). Asks the value flow only when
    /// the calls the summaries resolve do not reach it.
    pub fn runs(&self, body: Body, phase: Phase) -> bool {
        self.reached_by_calls
            .get_or_init(|| Reached::compute(self, None))
            .runs_in(body, phase)
            || self.reached().runs_in(body, phase)
    }

    /// The project body a value-flow scope belongs to (a class body: the scope defining it).
    pub fn body_of_scope(&self, scope: ScopeRef) -> Body {
        reached::body_of(self, self.points_to(), scope)
    }

    /// Whether `body` runs in `phase` once `given` has run (see [`Reached::runs_given`]): how
    /// a thread's join, stop signal or exit handler is judged against its start.
    pub fn runs_given(&self, given: Body, body: Body, phase: Phase) -> bool {
        let by_calls = self
            .reached_by_calls
            .get_or_init(|| Reached::compute(self, None));
        by_calls.runs_given(given, body, phase) || self.reached().runs_given(given, body, phase)
    }

    /// Which functions run, with the value flow's calls and callbacks (computed once).
    pub fn reached(&self) -> &Reached {
        self.reached
            .get_or_init(|| Reached::compute(self, Some(self.points_to())))
    }

    /// The objects effect `id` acts on, as the value flow sees them: the receiver of a
    /// method call (`t` of `t.join()`, each thread of `for t in ts: t.start()`), the manager
    /// of a `with`, or else what the call makes (`ThreadPoolExecutor()`). Empty when the flow
    /// does not know.
    pub fn effect_objects(&self, id: EffectId) -> Vec<ObjId> {
        let site = &self.effects[id.0 as usize];
        let pt = self.points_to();
        let file = site.body.file();
        let receivers = pt.receivers(file, site.range);
        if !receivers.is_empty() {
            return receivers;
        }
        pt.results(file, site.range)
    }

    /// The thread starts that are green threads, because gevent or eventlet monkey-patched
    /// `threading` first in every process that runs them (see `green.rs`).
    pub fn green_starts(&self) -> &HashSet<EffectId> {
        &self.green().all
    }

    /// The green thread starts that the interpreter does not join at exit: eventlet's (its
    /// green threads are not `threading`'s to join), so a non-daemon one never keeps the
    /// process alive.
    pub fn green_not_joined_at_exit(&self) -> &HashSet<EffectId> {
        &self.green().not_joined_at_exit
    }

    fn green(&self) -> &green::GreenStarts {
        self.green_starts.get_or_init(|| green::green_starts(self))
    }

    /// The module of `api` when it is a module-level function of the knowledge base that
    /// waits for threads (`rollbar.wait`, `wandb.teardown`): it waits for the threads the
    /// same module's functions started, which carry no handle to match.
    pub fn module_wait<'a>(&self, api: &'a str) -> Option<&'a str> {
        let entry = self.knowledge.get(api)?;
        let function = entry.kind == crate::knowledge::ApiKind::Function
            && entry.has(crate::knowledge::EffectKind::ThreadWait);
        function.then(|| api.rsplit_once('.').map(|(m, _)| m))?
    }

    /// The may-be-multithreaded flow and the fork sinks it reaches (computed once, by the
    /// first fork rule that asks).
    pub fn fork_flow(&self) -> &ForkFlow {
        self.fork_flow.get_or_init(|| {
            let t = std::time::Instant::now();
            let flow = ForkFlow::compute(self);
            if std::env::var_os("FORKLINT_TIMING").is_some() {
                eprintln!(
                    "timing: fork flow {:?} ({} sinks)",
                    t.elapsed(),
                    flow.sinks.len()
                );
            }
            flow
        })
    }

    /// Whether some module sets `name` on `module` from outside it.
    pub fn set_from_outside(&self, module: &str, name: &summary::Name) -> bool {
        !self.set_from_outside.is_empty()
            && self
                .set_from_outside
                .contains(&(module.to_string(), name.clone()))
    }

    /// What the call of `callee` at event `event` of `caller` reaches: the callee's reach,
    /// less what the guarded events it certainly skips reach. Rules that follow a body's
    /// calls read this rather than [`Program::reach`], so that `work(burst=True)` does not
    /// reach what `work` runs only `if with_scheduler:`.
    pub fn call_reach(&self, caller: Body, event: usize, callee: FnRef) -> &[EffectId] {
        self.reach.of_call(CallSite {
            caller,
            event: event as u32,
            callee,
        })
    }

    /// The guarded events of `callee` that its call at event `event` of `caller` certainly
    /// skips (ranges into the callee's events), if any.
    pub fn skipped_events(
        &self,
        caller: Body,
        event: usize,
        callee: FnRef,
    ) -> Option<&SkippedEvents> {
        self.skipped_calls.get(&CallSite {
            caller,
            event: event as u32,
            callee,
        })
    }

    /// The effects reached by one module-body event: its own, and those of what it calls.
    pub fn event_effects(
        &self,
        file: FileId,
        event: usize,
    ) -> impl Iterator<Item = (EffectId, Option<FnRef>)> + '_ {
        self.body_events[file.0 as usize]
            .get(event)
            .iter()
            .flat_map(move |r| {
                let (own, call) = match r {
                    Resolved::Effect(id) => (Some((*id, None)), None),
                    Resolved::Call(f) => (None, Some(*f)),
                };
                let reached = call.into_iter().flat_map(move |f| {
                    let reach = self.call_reach(Body::Module(file), event, f);
                    reach.iter().map(move |id| (*id, Some(f)))
                });
                own.into_iter().chain(reached)
            })
    }

    /// The chain of calls from `from` to the function holding `effect`, shortest first found.
    pub fn call_path(&self, from: FnRef, effect: EffectId) -> Vec<CallStep> {
        reach::call_path(self, from, None, self.effect(effect).body)
    }

    /// Like [`Program::call_path`] from the call of `callee` at `range` of `caller`: past
    /// what that call certainly skips of its callee.
    pub fn call_path_from(
        &self,
        caller: Body,
        range: TextRange,
        callee: FnRef,
        effect: EffectId,
    ) -> Vec<CallStep> {
        let call = Resolved::Call(callee);
        let event = match caller {
            Body::Function(f) => self.fn_events[f.file.0 as usize]
                .with_ranges(f.func)
                .position(|(r, resolved)| r == range && resolved.contains(&call)),
            Body::Module(file) => (0..self.summary(file).body.len()).position(|i| {
                self.summary(file).body[i].range == range
                    && self.body_events[file.0 as usize].get(i).contains(&call)
            }),
        };
        let skipped = event.and_then(|i| self.skipped_events(caller, i, callee));
        reach::call_path(self, callee, skipped, self.effect(effect).body)
    }

    /// The start method in force for a multiprocessing start on one cell (version, platform):
    /// explicit at the call, else set process-wide earlier in the same module, else the
    /// default of that cell.
    pub fn start_method_on(
        &self,
        explicit: Option<StartMethod>,
        set_in_module: Option<StartMethod>,
        version: PythonVersion,
        platform: Platform,
    ) -> StartMethod {
        explicit
            .or(set_in_module)
            .unwrap_or_else(|| StartMethod::default_for(version, platform))
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

    /// The first import of `file` by another module's top level (in file order, then source
    /// order), for showing who imports a module. Computed once for all files.
    pub fn first_importer(&self, file: FileId) -> Option<EffectId> {
        let map = self.first_importers.get_or_init(|| {
            let mut map: HashMap<FileId, EffectId> = HashMap::default();
            for other in self.file_ids() {
                for i in 0..self.summary(other).body.len() {
                    for (id, _) in self.event_effects(other, i) {
                        if let Effect::Import { modules, .. } = &self.effect(id).effect {
                            for m in modules {
                                if *m != other {
                                    map.entry(*m).or_insert(id);
                                }
                            }
                        }
                    }
                }
            }
            map
        });
        map.get(&file).copied()
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
    match read_regular_file(&found.path) {
        // A native source is only scanned for text; one that is not UTF-8 is read lossily.
        Ok(bytes) if summary::is_native(&found.path) => Ok(Source {
            found,
            text: Arc::from(String::from_utf8_lossy(&bytes).as_ref()),
            keep_text: false,
            encoding: SourceEncoding::Utf8,
        }),
        // Bytes that are not valid in the file's encoding still make a source: FL001 reports
        // them (`summarize_guarded`), with the lossy text to show where.
        Ok(bytes) => match decode::decode(bytes) {
            Ok((text, encoding)) => Ok(Source {
                found,
                text: Arc::from(text),
                keep_text: false,
                encoding,
            }),
            Err(reason) => Err(Unreadable {
                path: found.path,
                reason,
            }),
        },
        Err(e) => Err(Unreadable {
            path: found.path,
            reason: e.to_string(),
        }),
    }
}

/// Reads a file that discovery found to be a regular file. It may have changed since: deleted
/// (an error), or replaced by a FIFO, which a plain read would wait on forever. Opening without
/// blocking and checking what was opened closes that window.
fn read_regular_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let mut file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (it changed after it was found)",
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Whether the summary of `s` is ever stored (cache, bundles): not a native source's (a cheap
/// text scan) nor that of a file not valid in its encoding (an FL001 made without parsing).
fn storable(s: &Source) -> bool {
    !summary::is_native(&s.found.path) && !matches!(s.encoding, SourceEncoding::Invalid(_))
}

/// Summarises one file on a thread with a large stack, turning a panic into a problem
/// reported for that file instead of a crash (and not worth storing: the `bool`).
fn summarize_guarded(s: &Source, index: &ProjectIndex<'_>) -> (ModuleSummary, bool) {
    if summary::is_native(&s.found.path) {
        let rust = s.found.path.extension().is_some_and(|e| e == "rs");
        let run = || summary::scan_native(&s.text, rust);
        let inits = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_default();
        let summary = ModuleSummary {
            native: Some(inits),
            ..ModuleSummary::default()
        };
        return (summary, true);
    }
    // Python refuses a file whose bytes are not valid in its encoding before it compiles
    // any of it: a `SyntaxError`, and nothing of the file runs.
    if let SourceEncoding::Invalid(error) = &s.encoding {
        let summary = ModuleSummary {
            module: s.found.module.clone(),
            is_package: s.found.is_package,
            syntax_errors: vec![summary::SyntaxProblem {
                range: error.range,
                message: error.message.clone(),
            }],
            ..ModuleSummary::default()
        };
        return (summary, true);
    }
    let run = || {
        // Tests of the crash guards (debug builds only): a file containing this marker
        // makes the summariser panic.
        #[cfg(debug_assertions)]
        if let Some(marker) = std::env::var_os("FORKLINT_DEBUG_PANIC_ON")
            && let Some(marker) = marker.to_str()
            && s.text.contains(marker)
        {
            panic!("FORKLINT_DEBUG_PANIC_ON marker found");
        }
        summary::summarize(&s.text, &s.found.module, s.found.is_package, index)
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(summary) => (summary, true),
        Err(panic) => {
            let what = crate::panic_message(panic.as_ref());
            let summary = ModuleSummary {
                module: s.found.module.clone(),
                is_package: s.found.is_package,
                syntax_errors: vec![summary::SyntaxProblem {
                    range: TextRange::default(),
                    message: format!(
                        "internal error while analysing this file (please report it): {what}"
                    ),
                }],
                ..ModuleSummary::default()
            };
            // Not stored: the next run (or a fixed build) tries again.
            (summary, false)
        }
    }
}

#[cfg(test)]
mod read_tests {
    use super::*;

    fn found(path: &Path) -> FoundFile {
        FoundFile {
            path: path.to_path_buf(),
            module: "x".into(),
            is_package: false,
            explicit: false,
            project: 0,
            library: false,
        }
    }

    #[test]
    fn a_file_deleted_after_discovery_is_unreadable_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.py");
        std::fs::write(&path, "x = 1\n").unwrap();
        let file = found(&path);
        std::fs::remove_file(&path).unwrap();
        let err = read_source(file)
            .err()
            .expect("a deleted file cannot be read");
        assert_eq!(err.path, path);
        assert!(err.reason.contains("No such file"), "{}", err.reason);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_replaced_by_a_fifo_after_discovery_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.py");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(made, "mkfifo failed");
        // Without O_NONBLOCK and the type check, this read would wait for a writer forever.
        let err = read_source(found(&path)).err().expect("a FIFO is not read");
        assert!(err.reason.contains("not a regular file"), "{}", err.reason);
    }
}
