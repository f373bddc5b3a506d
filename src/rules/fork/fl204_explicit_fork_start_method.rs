use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::program::{Context, Effect, EffectId, FileRole, Program};
use crate::rules::import_time::{chain, flow, module_name};
use crate::rules::{Family, FixAvailability, Rule};
use crate::settings::StartMethod;

use super::{site_location, site_snippet};

pub static RULE: Rule = Rule {
    code: "FL204",
    name: "explicit-fork-start-method",
    family: Family::Fork,
    severity: Severity::Warning,
    default_enabled: true,
    fix: FixAvailability::Unsafe,
    summary: "Code asks for the `fork` start method, or a library sets the start method at import time.",
    doc: r#"## What it does
Reports `multiprocessing.set_start_method("fork")`, `multiprocessing.get_context("fork")`
(also inside `mp_context=`), and their `torch.multiprocessing` and `billiard` spellings.

It also reports **any** `set_start_method(...)` that runs while a module that is not an entry
script is being imported (at its top level outside a `__main__` guard, or in a function called
from there): a library then changes process-global state for the program that imports it.

## Why is this bad?
The fork start method copies a process that may have threads (FL201 reports the starts that do).
On macOS fork "should be considered unsafe as it can lead to crashes of the subprocess"
(bpo-33725), which is why spawn became the default there in 3.8; Python 3.14 made forkserver the
default on Linux for the same reason. Asking for fork explicitly opts out of both.

`set_start_method` may be called only once: a second call raises `RuntimeError: context has
already been set` unless `force=True`. A library that calls it at import time breaks the
application that chose another method, or that imports two such libraries.

## Example
```python
import multiprocessing

def main():
    multiprocessing.set_start_method("fork")
    pool = multiprocessing.Pool()
```

## Use instead
```python
def main():
    ctx = multiprocessing.get_context("forkserver")  # or "spawn"
    pool = ctx.Pool()
```
Keep fork only where inherited state is essential and the process is provably
single-threaded when it forks. Libraries should take a context as a parameter or use a local
`get_context(...)`, never the global setter.

## Fix safety
Unsafe: the literal `"fork"` given to `set_start_method`/`get_context` becomes `"forkserver"`
(`"spawn"` when no target platform is Linux). It changes behaviour: process targets and
arguments must then be picklable, the child re-imports the `__main__` module (which needs its
`if __name__ == "__main__":` guard) and inherits none of the parent's memory. A start method
that is not the plain literal `"fork"`, or a library setting the method at import time, gets
the suggestion only.

## When it does not apply
`get_context("spawn"|"forkserver")`; `set_start_method("spawn"|"forkserver")` in an entry
script's main flow; Windows-only configurations (there is no fork there).

## Python versions and platforms
POSIX. The fork method exists on every POSIX version; the hazard grows with threads (FL201)
and on macOS. Windows cells are skipped.
"#,
    check,
};

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let grid = &program.fork_flow().grid;
    let posix = grid.posix() != 0;
    // Set at import time of a library module: effect → the module.
    let mut at_import: Vec<(
        EffectId,
        crate::diagnostic::FileId,
        Vec<crate::diagnostic::Step>,
    )> = Vec::new();
    let mut seen = HashSet::default();
    for file in program.file_ids() {
        let f = program.file(file);
        if f.role != FileRole::Module || f.can_be_entry {
            continue;
        }
        for hit in flow(program, file, Context::Import) {
            if matches!(
                program.effect(hit.effect).effect,
                Effect::SetStartMethod { .. }
            ) && seen.insert(hit.effect)
            {
                let trace = chain(program, &hit, "sets the start method here");
                at_import.push((hit.effect, file, trace));
            }
        }
    }
    for (i, site) in program.effects.iter().enumerate() {
        let id = EffectId(i as u32);
        let (what, method) = match &site.effect {
            Effect::SetStartMethod { method } => ("sets the process-wide start method to", method),
            Effect::GetContext { method } => ("asks for", method),
            _ => continue,
        };
        let fork = posix && method.single() == Some(StartMethod::Fork);
        let import = at_import.iter().find(|(e, _, _)| *e == id);
        if !fork && import.is_none() {
            continue;
        }
        let call = site_snippet(program, id);
        let mut message = if fork {
            format!(
                "`{call}` {what} `fork`, which copies the process with whatever locks its other \
                 threads hold, and crashes on macOS"
            )
        } else {
            format!("`{call}` sets the process-wide `multiprocessing` start method")
        };
        let mut trace = Vec::new();
        if let Some((_, module, steps)) = import {
            message.push_str(&format!(
                "{} while `{}` is being imported: a library must not change it for the \
                 program that imports it (a second call raises `RuntimeError`)",
                if fork { ";" } else { "" },
                module_name(program, *module)
            ));
            trace = steps.clone();
            if let Some(step) = crate::rules::import_time::importer_step(program, *module) {
                trace.push(step);
            }
        }
        trace.retain(|s| s.location != Location::clone(&site_location(program, id)));
        out.push(Diagnostic {
            code: RULE.code,
            name: RULE.name,
            severity: RULE.severity,
            message,
            primary: site_location(program, id),
            label: if fork {
                "the fork start method".into()
            } else {
                "set at import time".into()
            },
            trace,
            help: Some(if fork {
                "use `multiprocessing.get_context(\"forkserver\")` (or `\"spawn\"`) where the \
                 processes are created"
                    .into()
            } else {
                "let the application choose: take a context as a parameter, or use a local \
                 `multiprocessing.get_context(...)`"
                    .into()
            }),
            notes: Vec::new(),
            fix: if fork { fix(program, id) } else { None },
            also: Vec::new(),
        });
    }
}

/// The unsafe fix: the literal `"fork"` becomes `"forkserver"` (`"spawn"` when no target
/// platform is Linux), in the same quotes.
fn fix(program: &Program, effect: EffectId) -> Option<crate::diagnostic::Fix> {
    use ruff_python_ast::Expr;
    use ruff_text_size::Ranged;

    let location = site_location(program, effect);
    let source = program.fix_source(location.file)?;
    let call = source.call_at(location.range)?;
    let method = call.arguments.args.first().or_else(|| {
        call.arguments
            .keywords
            .iter()
            .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "method"))
            .map(|k| &k.value)
    })?;
    let Expr::StringLiteral(literal) = method else {
        return None;
    };
    let text = source.slice(literal.range());
    if literal.value.is_implicit_concatenated() || literal.value.to_str() != "fork" {
        return None;
    }
    // `"fork"` or `'fork'`, without a prefix or escapes.
    let quote = text.chars().next()?;
    if text != format!("{quote}fork{quote}") {
        return None;
    }
    let safe = super::safe_start_method(program);
    Some(crate::fix::replacement(
        format!("use the `{safe}` start method"),
        crate::diagnostic::Applicability::Unsafe,
        location.file,
        literal.range(),
        format!("{quote}{safe}{quote}"),
    ))
}
