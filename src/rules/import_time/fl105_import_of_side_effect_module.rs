use std::path::Path;

use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::{Diagnostic, FileId, Location, Severity, Step};
use crate::program::{Context, Effect, ImportedBy, Program};
use crate::rules::{Family, FixAvailability, Rule};

use super::{Hit, chain, describe, flow, loc, module_name};

pub static RULE: Rule = Rule {
    code: "FL105",
    name: "import-of-side-effect-module",
    family: Family::ImportTime,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "An import runs a module that starts threads or processes at import time.",
    doc: r#"## What it does
Reports an import (`import x`, `from x import y`, `importlib.import_module("x")`,
`__import__("x")`) that runs a module whose own top level starts a thread or a process (it has
an FL101, FL102 or FL103 finding), including a package whose `__init__` does so when a submodule
is imported. It is reported at the importer, with the chain to the effect, when the importer
belongs to another package than the module (see below). Only the direct
importer of the module with the finding is reported, not every module above it. Imports inside
functions count when the function runs at import time or in the main flow.

## Why is this bad?
The importer inherits the imported module's hazards, usually without knowing: the thread starts
(and may deadlock, FL102) while the importer is itself being imported or before it forks.

## Example
```python
# main.py
import importlib

def main():
    app = importlib.import_module("app")   # app starts a thread at import time

if __name__ == "__main__":
    main()
```

## Use instead
```python
def main():
    app = importlib.import_module("app")
    app.main()      # app starts its thread only when asked to
```

## When it does not apply
An import within the imported module's own package: both are in the same outermost regular
package (a directory with an `__init__.py`, not counting namespace directories above it:
`pkg/cli.py` importing `pkg.worker`), or both are loose modules of one directory (`main.py`
importing `app.py`). FL101 or FL103 at the side effect, whose chain shows
the importer, is then the one finding for the cause. When that rule is not selected or is
ignored for the module's file, FL105 is reported within the package too. An installed
dependency is never the project's package.

Imports under `if TYPE_CHECKING:`; imports inside functions that never run; imports whose
module name is not a literal (their effects are unknown: the per-module rules still fire in the
candidate modules themselves). Only the first import of a module in a file is reported (later
ones find it in `sys.modules`), and a package's own modules importing the package are not
(Python imported the package before them). Nor is an import of a module that is certainly
imported already when the statement runs: one that a package `__init__` above the importer
imports before it imports the importer (`pkg/__init__.py` imports `pkg._internal`, so
`pkg/export.py`'s `import pkg._internal` runs nothing; the finding is at `pkg/__init__.py`),
or one that an earlier unconditional statement of the same file imports through the modules
it imports: the finding is then at that earlier statement, the one that runs it.

## Python versions and platforms
All versions.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    // The first import-time thread start or process creation of each module, if any.
    let hazards: Vec<Option<Hit>> = program
        .file_ids()
        .map(|f| {
            flow(program, f, Context::Import).into_iter().find(|h| {
                matches!(
                    program.effect(h.effect).effect,
                    Effect::ThreadStart { lazy: false, .. } | Effect::ProcessSpawn { .. }
                )
            })
        })
        .collect();
    let packages = regular_packages(program);
    for file in program.file_ids() {
        let importer = program.summary(file).module.as_str();
        let mut seen = HashSet::default();
        for i in 0..program.summary(file).body.len() {
            for (id, _) in program.event_effects(file, i) {
                let site = program.effect(id);
                let Effect::Import { modules, .. } = &site.effect else {
                    continue;
                };
                for &imported in modules {
                    // A package's submodule importing the package (`from pkg import b` in
                    // `pkg/a.py`) runs nothing new: Python imported `pkg` before `pkg.a`.
                    if imported == file
                        || is_ancestor(&program.summary(imported).module, importer)
                        // Only the first import of a module in a file runs it; later ones find
                        // it in `sys.modules`.
                        || !seen.insert(imported)
                    {
                        continue;
                    }
                    let Some(hazard) = &hazards[imported.0 as usize] else {
                        continue;
                    };
                    // Within one package, the finding at the side effect itself (FL101,
                    // FL103) is the one to act on: one cause, one finding.
                    if same_package(program, file, imported, &packages)
                        && reported_at_source(program, imported, hazard)
                    {
                        continue;
                    }
                    // Nor does one of a module already imported before this statement: by
                    // the package `__init__` above (reported there), or by an earlier
                    // statement's imports (the finding goes to that statement, which is the
                    // one that runs it).
                    let d = match program.imported_before(file, i, imported) {
                        Some(ImportedBy::Package(_)) => continue,
                        Some(ImportedBy::EarlierStatement(j)) => {
                            let mut d = diagnostic(
                                program,
                                file,
                                program.event_range(file, j),
                                imported,
                                hazard,
                            );
                            d.label = format!(
                                "`{}` is first imported here, through the modules this imports",
                                module_name(program, imported)
                            );
                            d
                        }
                        None => diagnostic(program, site.body.file(), site.range, imported, hazard),
                    };
                    out.push(d);
                }
            }
        }
    }
}

/// The package a module belongs to, for FL105, by its place on disk: the outermost regular
/// package (a directory with an `__init__.py`) of the chain of packages that holds it, or, for
/// a module in no package, the directory of loose modules it sits in (a directory of scripts
/// and modules is one program). A namespace directory (no `__init__.py`: `services/` of a
/// monorepo, `opentelemetry/` shared by several distributions) is not a package here: the
/// regular packages below it are.
#[derive(PartialEq, Eq)]
enum Package<'a> {
    Regular(&'a Path),
    Loose(&'a Path),
}

fn package_of<'a>(program: &'a Program, file: FileId, packages: &HashSet<&Path>) -> Package<'a> {
    let Some(mut dir) = program.file(file).path.parent() else {
        return Package::Loose(Path::new(""));
    };
    if !packages.contains(dir) {
        return Package::Loose(dir);
    }
    while let Some(parent) = dir.parent().filter(|p| packages.contains(p)) {
        dir = parent;
    }
    Package::Regular(dir)
}

/// The directories that hold an `__init__.py` among the program's files: its regular packages.
fn regular_packages(program: &Program) -> HashSet<&Path> {
    program
        .files
        .iter()
        .filter(|f| {
            f.path
                .file_name()
                .is_some_and(|n| n == "__init__.py" || n == "__init__.pyi")
        })
        .filter_map(|f| f.path.parent())
        .collect()
}

/// Whether the importer and the imported module belong to one package of one distribution
/// (an installed dependency is never the project's package).
fn same_package(
    program: &Program,
    importer: FileId,
    imported: FileId,
    packages: &HashSet<&Path>,
) -> bool {
    program.file(importer).library == program.file(imported).library
        && package_of(program, importer, packages) == package_of(program, imported, packages)
}

/// Whether the rule for the hazard's kind reports it where it is: FL101 for a thread, FL103
/// for a process, selected and not ignored for that file. When it is not, FL105 is the only
/// finding left for the cause, and is reported within the package too.
fn reported_at_source(program: &Program, imported: FileId, hazard: &Hit) -> bool {
    let code = match program.effect(hazard.effect).effect {
        Effect::ProcessSpawn { .. } => super::fl103_import_time_process_spawn::RULE.code,
        _ => super::fl101_import_time_thread_start::RULE.code,
    };
    let selection = &program.settings.selection;
    let file = program.file(imported);
    !file.library && selection.is_enabled(code) && !selection.ignored_in_file(code, &file.path)
}

/// `package` is `module`'s parent package, or its parent's, and so on.
fn is_ancestor(package: &str, module: &str) -> bool {
    module
        .strip_prefix(package)
        .is_some_and(|rest| rest.starts_with('.'))
}

fn diagnostic(
    program: &Program,
    file: FileId,
    range: ruff_text_size::TextRange,
    imported: FileId,
    hazard: &Hit,
) -> Diagnostic {
    let effect_site = program.effect(hazard.effect);
    let what = describe(&effect_site.effect);
    let name = module_name(program, imported);
    let mut trace = vec![Step {
        location: Location {
            file: imported,
            range: program.event_range(imported, hazard.event),
        },
        message: format!("`{name}` {what} at import time"),
    }];
    trace.extend(chain(program, hazard, "here"));
    Diagnostic {
        code: RULE.code,
        name: RULE.name,
        severity: RULE.severity,
        message: format!(
            "importing `{name}` runs its import-time side effect: it {what} (at {})",
            loc(program, effect_site.body.file(), effect_site.range)
        ),
        primary: Location { file, range },
        label: format!("`{name}` is imported here"),
        trace,
        help: Some(format!(
            "have `{name}` expose `main()`/`start()` and call it explicitly after the import"
        )),
        notes: Vec::new(),
        fix: None,
        also: Vec::new(),
    }
}
