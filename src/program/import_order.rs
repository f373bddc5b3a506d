//! Which import statement first runs a module.
//!
//! An `import x` runs `x`'s top level only if `x` is not in `sys.modules` yet. Two facts of
//! Python's import system decide that before a statement of module `m` runs:
//! - every package above `m` was imported first, and its `__init__` ran up to the statement
//!   that (directly or through other modules) imports `m`, or to its end when it does not;
//! - the statements of `m` before this one ran, with what they import.
//!
//! What those certainly import (unconditional statements of the top level, outside a main
//! guard, and the modules they import in turn, transitively) is in `sys.modules` already, and
//! importing it again runs nothing. Imports under a test, in a `try` handler or in a loop may
//! not have run, and do not count.

use rustc_hash::FxHashSet as HashSet;

use super::{Effect, Program};
use crate::diagnostic::FileId;

/// What imported a module before a statement ([`Program::imported_before`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportedBy {
    /// Event `0` of the same body, an earlier statement: the import that runs it first.
    EarlierStatement(usize),
    /// The `__init__` of this package above the importer.
    Package(FileId),
}

/// Where a search through certain imports ended first.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Found {
    Target,
    /// The module being imported itself: what comes after in that statement runs after it.
    Importer,
    Neither,
}

impl Program {
    /// Whether `target` is certainly in `sys.modules` when event `event` of `file`'s body
    /// runs, and what imported it: an earlier statement of `file` (directly or through the
    /// modules it imports), or an ancestor package's `__init__` before it imported `file`
    /// (see the module docs).
    pub fn imported_before(
        &self,
        file: FileId,
        event: usize,
        target: FileId,
    ) -> Option<ImportedBy> {
        let body = &self.summary(file).body;
        let current = body.get(event)?;
        // Modules searched already, in order, found to import neither the target nor the
        // importer: later searches skip them (what they import is in `sys.modules` already).
        let mut seen: HashSet<FileId> = HashSet::default();
        for (j, earlier) in body[..event].iter().enumerate() {
            // An earlier statement of a main guard runs before this one only in a main flow.
            if earlier.conditional || earlier.in_main_guard && !current.in_main_guard {
                continue;
            }
            let imports = self.event_imports(file, j);
            if self.certain_search(&imports, target, None, &mut seen) == Found::Target {
                return Some(ImportedBy::EarlierStatement(j));
            }
        }
        // The packages' searches look for the importer too: a set of their own.
        let mut seen: HashSet<FileId> = HashSet::default();
        let module = self.summary(file).module.as_str();
        for (i, _) in module.match_indices('.') {
            let Some(&package) = self.by_module.get(&module[..i]) else {
                continue;
            };
            for j in 0..self.summary(package).body.len() {
                let e = &self.summary(package).body[j];
                if e.conditional || e.in_main_guard {
                    continue;
                }
                let imports = self.event_imports(package, j);
                match self.certain_search(&imports, target, Some(file), &mut seen) {
                    Found::Target => return Some(ImportedBy::Package(package)),
                    Found::Importer => break,
                    Found::Neither => {}
                }
            }
        }
        None
    }

    /// The modules event `event` of `file`'s body imports (through the calls it makes too).
    fn event_imports(&self, file: FileId, event: usize) -> Vec<FileId> {
        let mut out = Vec::new();
        for (id, _) in self.event_effects(file, event) {
            if let Effect::Import { modules, .. } = &self.effect(id).effect {
                out.extend(modules.iter().copied().filter(|&m| m != file));
            }
        }
        out
    }

    /// Searches the modules `start` imports and what their top levels certainly import in
    /// turn, in order, for `target` and (when given) `importer`.
    fn certain_search(
        &self,
        start: &[FileId],
        target: FileId,
        importer: Option<FileId>,
        seen: &mut HashSet<FileId>,
    ) -> Found {
        let mut stack: Vec<FileId> = start.iter().rev().copied().collect();
        while let Some(f) = stack.pop() {
            if Some(f) == importer {
                return Found::Importer;
            }
            if f == target {
                return Found::Target;
            }
            if !seen.insert(f) {
                continue;
            }
            let body = &self.summary(f).body;
            let mut next = Vec::new();
            for (j, e) in body.iter().enumerate() {
                if !e.conditional && !e.in_main_guard {
                    next.extend(self.event_imports(f, j));
                }
            }
            stack.extend(next.into_iter().rev());
        }
        Found::Neither
    }
}
