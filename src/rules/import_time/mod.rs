//! Import-time hazards (FL1xx): what runs while a module is being imported.
//!
//! Shared here: the walk over a module's import-time flow and the chain shown for a finding.
//! See docs/import-time.md for when a file's top level counts as import time.

// The `## Fix safety` section of FL101, FL103 and FL107, which share the `main()` fix
// ([`crate::fix::entry`]); a macro because `concat!` takes literals only.
macro_rules! entry_fix_safety {
    () => {
        r#"## Fix safety
Unsafe, and offered only in an entry script (a file with a shebang, an
`if __name__ == "__main__":` block, `__main__.py`, or one matched by `entry`): the fix moves
the script's trailing top-level statements, from the first one run for its effect (a call
that is not an assignment's value), into `def main() -> None:` and calls it under
`if __name__ == "__main__":` (first in an existing block). Assignments before that statement
stay at the top level; names the moved statements bind that the rest of the module uses are
declared `global` in `main`. It changes behaviour: importing the module no longer runs those
statements, and a name they bind that nothing else in the module uses becomes local to
`main`. When the statements cannot move
(definitions follow them, the module already defines `main`) or the file is not an entry
script, the fix is a suggestion only.

"#
    };
}

pub mod fl101_import_time_thread_start;
pub mod fl102_import_time_thread_wait;
pub mod fl103_import_time_process_spawn;
pub mod fl104_import_time_thread_imports;
pub mod fl105_import_of_side_effect_module;
pub mod fl106_import_time_daemon_thread;
pub mod fl107_mp_start_without_main_guard;

use ruff_text_size::TextRange;

use crate::diagnostic::{Diagnostic, FileId, Location, Severity, Step};
use crate::program::{
    Body, CallStep, Context, Effect, EffectId, FnRef, HandoffKind, Program, SubiOp,
};
use crate::rules::Rule;

/// One effect reached from one module-body event.
#[derive(Clone, Copy, Debug)]
pub struct Hit {
    pub file: FileId,
    /// Index of the module-body event (the primary location).
    pub event: usize,
    pub stmt: u32,
    pub effect: EffectId,
    /// The function the event calls, when the effect is reached through it.
    pub via: Option<FnRef>,
}

/// The effects a module's top level reaches in `context`, in execution order.
pub fn flow(program: &Program, file: FileId, context: Context) -> Vec<Hit> {
    flow_where(program, file, |p, e| {
        p.context(file, e.in_main_guard) == context
    })
}

/// The effects reached by top-level code outside any `__main__` guard (what a spawn child
/// re-runs when it imports the main script as `__mp_main__`).
pub fn unguarded_flow(program: &Program, file: FileId) -> Vec<Hit> {
    flow_where(program, file, |_, e| !e.in_main_guard)
}

fn flow_where(
    program: &Program,
    file: FileId,
    keep: impl Fn(&Program, &crate::summary::Event) -> bool,
) -> Vec<Hit> {
    let mut out = Vec::new();
    for (i, event) in program.summary(file).body.iter().enumerate() {
        if !keep(program, event) {
            continue;
        }
        for (effect, via) in program.event_effects(file, i) {
            out.push(Hit {
                file,
                event: i,
                stmt: event.stmt,
                effect,
                via,
            });
        }
    }
    out
}

/// The first hit per top-level statement that satisfies `pred`.
pub fn first_per_statement(
    hits: &[Hit],
    program: &Program,
    pred: impl Fn(&Effect) -> bool,
) -> Vec<Hit> {
    let mut out: Vec<Hit> = Vec::new();
    for h in hits {
        if pred(&program.effect(h.effect).effect)
            && out.last().is_none_or(|last| last.stmt != h.stmt)
        {
            out.push(*h);
        }
    }
    out
}

/// Source text of a range, on one line, shortened for messages.
pub fn snippet(program: &Program, file: FileId, range: TextRange) -> String {
    let text = program.file(file).slice(range);
    let first = text.lines().next().unwrap_or("").trim();
    if first.chars().count() > 60 || text.lines().nth(1).is_some() {
        let short: String = first.chars().take(57).collect();
        format!("{short}…")
    } else {
        first.to_string()
    }
}

pub fn display_path(program: &Program, file: FileId) -> String {
    program.file(file).path.display().to_string()
}

pub fn loc(program: &Program, file: FileId, range: TextRange) -> String {
    let (line, _) = program.file(file).line_col(range.start());
    format!("{}:{line}", display_path(program, file))
}

pub fn function_name(program: &Program, f: FnRef) -> String {
    program.summary(f.file).functions[f.func as usize]
        .qualname
        .to_string()
}

pub fn module_name(program: &Program, file: FileId) -> &str {
    &program.summary(file).module
}

/// The steps from a top-level event to an effect: each call on the way, then the effect.
pub fn chain(program: &Program, hit: &Hit, effect_label: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let site = program.effect(hit.effect);
    if let Some(via) = hit.via {
        let range = program.event_range(hit.file, hit.event);
        let caller = Body::Module(hit.file);
        steps.extend(call_steps_from(program, caller, range, via, hit.effect));
    }
    if site.body.file() != hit.file || hit.via.is_some() {
        steps.push(Step {
            location: Location {
                file: site.body.file(),
                range: site.range,
            },
            message: effect_label.to_string(),
        });
    }
    steps
}

/// One step per call on the shortest chain from `from` down to the function holding `effect`.
pub fn call_steps(program: &Program, from: FnRef, effect: EffectId) -> Vec<Step> {
    steps_of(program, program.call_path(from, effect))
}

/// Like [`call_steps`] from the call of `callee` at `range` of `caller`, past the guarded
/// events of `callee` that call certainly skips.
pub fn call_steps_from(
    program: &Program,
    caller: Body,
    range: TextRange,
    callee: FnRef,
    effect: EffectId,
) -> Vec<Step> {
    steps_of(
        program,
        program.call_path_from(caller, range, callee, effect),
    )
}

fn steps_of(program: &Program, path: Vec<CallStep>) -> Vec<Step> {
    path.into_iter()
        .map(|step| Step {
            location: Location {
                file: step.caller.file,
                range: step.range,
            },
            message: format!(
                "`{}` calls `{}`",
                function_name(program, step.caller),
                function_name(program, step.callee)
            ),
        })
        .collect()
}

/// One place where `file` is imported by another module, for the end of a chain.
pub fn importer_step(program: &Program, file: FileId) -> Option<Step> {
    let site = program.effect(program.first_importer(file)?);
    Some(Step {
        location: Location {
            file: site.body.file(),
            range: site.range,
        },
        message: format!("`{}` is imported here", module_name(program, file)),
    })
}

/// A diagnostic at a module-body event, with the rule's metadata filled in.
pub fn at_event(
    rule: &Rule,
    program: &Program,
    hit: &Hit,
    message: String,
    label: String,
) -> Diagnostic {
    Diagnostic {
        code: rule.code,
        name: rule.name,
        severity: rule.severity,
        message,
        primary: Location {
            file: hit.file,
            range: program.event_range(hit.file, hit.event),
        },
        label,
        trace: Vec::new(),
        help: None,
        notes: Vec::new(),
        fix: None,
        also: Vec::new(),
    }
}

/// How an effect reads in a message.
pub fn describe(effect: &Effect) -> String {
    match effect {
        Effect::ThreadStart {
            api, pooled: true, ..
        } => format!("runs work on a thread pool (`{api}`)"),
        Effect::ThreadStart {
            api, library: true, ..
        } => format!("starts library threads (`{api}`)"),
        Effect::ThreadStart { api, .. } => format!("starts a thread (`{api}`)"),
        Effect::ThreadWait { api, .. } => format!("waits for a thread (`{api}`)"),
        Effect::ProcessSpawn { api, .. } => format!("starts a process (`{api}`)"),
        Effect::Import { .. } => "imports a module".into(),
        Effect::UnknownImport => "imports a module chosen at run time".into(),
        Effect::SetStartMethod { .. } => "sets the multiprocessing start method".into(),
        Effect::GetContext { .. } => "gets a multiprocessing context".into(),
        Effect::Lock { acquire: true, .. } => "acquires a lock".into(),
        Effect::Lock { .. } => "releases a lock".into(),
        Effect::AtFork { api, .. } => format!("registers fork hooks (`{api}`)"),
        Effect::Subinterp { api, op, .. } => match op {
            SubiOp::Create => format!("creates a subinterpreter (`{api}`)"),
            SubiOp::Run => format!("runs code in a subinterpreter (`{api}`)"),
            SubiOp::Destroy => format!("destroys a subinterpreter (`{api}`)"),
            SubiOp::IsRunning => format!("asks whether a subinterpreter is running (`{api}`)"),
        },
        Effect::Handoff { api, to, .. } => match to {
            HandoffKind::PooledThread => format!("hands work to a thread pool (`{api}`)"),
            HandoffKind::Subinterpreter => format!("runs a callable in a subinterpreter (`{api}`)"),
            HandoffKind::AtExit | HandoffKind::ThreadingShutdown => {
                format!("registers a shutdown handler (`{api}`)")
            }
        },
        Effect::EventOp { set: true, .. } => "sets an event".into(),
        Effect::EventOp { .. } => "tests an event".into(),
        Effect::Other { api, .. } => format!("calls `{api}`"),
    }
}

pub fn severity_at_least(s: Severity, min: Severity) -> Severity {
    s.max(min)
}

/// The fix for a top-level side effect in a module (FL101, FL103, FL107): in an entry script
/// (a shebang, a `__main__` block, `__main__.py`, or a configured entry), move the trailing
/// top-level statements into `main()` under the `__main__` guard — unsafe, see
/// [`crate::fix::entry`]. Elsewhere, or when the statements cannot move, a suggestion only.
pub fn entry_fix(program: &Program, d: &Diagnostic) -> Option<crate::diagnostic::Fix> {
    use crate::diagnostic::{Applicability, Fix};
    let file = program.file(d.primary.file);
    if !(file.can_be_entry || file.is_dunder_main) {
        return None;
    }
    let source = program.fix_source(d.primary.file)?;
    Some(
        crate::fix::entry::wrap_in_main(&source, d.primary.range.start()).unwrap_or_else(|why| {
            Fix {
                message: format!("{}; {why}", crate::fix::entry::SHAPE),
                applicability: Applicability::Display,
                edits: Vec::new(),
            }
        }),
    )
}
