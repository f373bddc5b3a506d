//! Subinterpreter hazards (FL3xx): code run in subinterpreters, the threads that run it, and
//! the teardown of both (RULES.md §3).
//!
//! SUBINTERP code is the project code handed to an interpreter: callables given to
//! `interp.call`/`call_in_thread`/`InterpreterPoolExecutor`, and literal code strings given
//! to `run_string`/`exec`, which the summary step parses and walks as functions.

pub mod fl301_subinterp_exec_on_pooled_thread;
pub mod fl302_subinterp_destroy_without_join;
pub mod fl303_subinterp_racy_is_running;
pub mod fl304_subinterp_signal_handler;
pub mod fl305_shielded_unbounded_teardown;
pub mod fl306_subinterp_forbidden_operation;
pub mod fl307_subinterp_private_module;
pub mod fl308_interp_pool_unshareable_callable;
pub mod fl309_subinterp_legacy_shared_gil;

use ruff_text_size::TextRange;
use rustc_hash::FxHashSet as HashSet;

use crate::diagnostic::{Diagnostic, FileId, Location, Step};
use crate::program::{Body, Effect, EffectId, FnRef, HandoffKind, Program, Resolved, SubiOp};
use crate::rules::Rule;
use crate::rules::import_time::call_steps;
use crate::summary::{Handle, RegionKind};

/// A finding with the rule's metadata filled in.
pub fn diagnostic(rule: &Rule, primary: Location, message: String, label: &str) -> Diagnostic {
    Diagnostic {
        code: rule.code,
        name: rule.name,
        severity: rule.severity,
        message,
        primary,
        label: label.to_string(),
        trace: Vec::new(),
        help: None,
        notes: Vec::new(),
        fix: None,
        also: Vec::new(),
    }
}

pub fn site(program: &Program, id: EffectId) -> Location {
    let s = program.effect(id);
    Location {
        file: s.body.file(),
        range: s.range,
    }
}

pub fn step(program: &Program, id: EffectId, message: impl Into<String>) -> Step {
    Step {
        location: site(program, id),
        message: message.into(),
    }
}

/// The first subinterpreter run (`SUBI_RUN`) `f` performs, itself or through its callees.
pub fn runs_subinterp(program: &Program, f: FnRef) -> Option<EffectId> {
    program.reach(f).iter().copied().find(|id| {
        matches!(
            program.effect(*id).effect,
            Effect::Subinterp {
                op: SubiOp::Run,
                ..
            }
        )
    })
}

/// How a subinterpreter run reaches an effect, as steps: the hand-over, then each call.
pub fn root_steps(program: &Program, root: &SubiRoot, effect: EffectId) -> Vec<Step> {
    let mut steps = vec![step(
        program,
        root.via,
        if program.summary(root.func.file).functions[root.func.func as usize].code_string {
            "this code string runs in a subinterpreter".to_string()
        } else {
            format!(
                "`{}` runs in a subinterpreter",
                crate::rules::import_time::function_name(program, root.func)
            )
        },
    )];
    steps.extend(call_steps(program, root.func, effect));
    steps
}

/// Project code that runs inside a subinterpreter, and how it got there.
#[derive(Clone, Copy, Debug)]
pub struct SubiRoot {
    pub func: FnRef,
    /// The call that hands it over (`run_string`, `interp.call`, `executor.submit`).
    pub via: EffectId,
    /// The interpreter is visibly a legacy one (`create("legacy")` in the same body), which
    /// allows exec, subprocesses, daemon threads and single-phase extensions.
    pub legacy: bool,
}

/// Every SUBINTERP root of the program, once each.
pub fn subinterp_roots(program: &Program) -> Vec<SubiRoot> {
    let mut seen = HashSet::default();
    let mut out = Vec::new();
    for (i, site) in program.effects.iter().enumerate() {
        let targets = match &site.effect {
            Effect::Subinterp {
                op: SubiOp::Run,
                targets,
                ..
            } => targets,
            Effect::Handoff {
                to: HandoffKind::Subinterpreter,
                targets,
                ..
            } => targets,
            _ => continue,
        };
        if targets.is_empty() {
            continue;
        }
        let legacy = body_effects(program, site.body).any(|(_, id)| {
            matches!(
                program.effect(id).effect,
                Effect::Subinterp {
                    op: SubiOp::Create,
                    legacy: true,
                    ..
                }
            )
        });
        for &func in targets {
            if seen.insert(func) {
                out.push(SubiRoot {
                    func,
                    via: EffectId(i as u32),
                    legacy,
                });
            }
        }
    }
    out
}

/// The effects performed directly in a body, with their ranges, in source order.
pub fn body_effects(
    program: &Program,
    body: Body,
) -> impl Iterator<Item = (TextRange, EffectId)> + '_ {
    body_items(program, body)
        .into_iter()
        .filter_map(|item| match item.resolved {
            Resolved::Effect(id) => Some((item.range, id)),
            Resolved::Call(_) => None,
        })
}

/// One resolution of one event of a body.
#[derive(Clone, Copy, Debug)]
pub struct Item {
    /// The event's number in its body (for [`Program::call_reach`]).
    pub event: usize,
    pub range: TextRange,
    pub conditional: bool,
    pub resolved: Resolved,
}

/// What a body does, event by event, in source order.
pub fn body_items(program: &Program, body: Body) -> Vec<Item> {
    let mut out = Vec::new();
    match body {
        Body::Module(file) => {
            for (i, e) in program.summary(file).body.iter().enumerate() {
                for r in program.body_events[file.0 as usize].get(i) {
                    out.push(Item {
                        event: i,
                        range: e.range,
                        conditional: e.conditional,
                        resolved: *r,
                    });
                }
            }
        }
        Body::Function(f) => {
            let events = program.fn_events[f.file.0 as usize].with_flags(f.func);
            for (i, (range, flags, resolved)) in events.enumerate() {
                for r in resolved {
                    out.push(Item {
                        event: i,
                        range,
                        conditional: flags.conditional(),
                        resolved: *r,
                    });
                }
            }
        }
    }
    out
}

/// The bodies that perform an effect `pick` accepts, once each, in effect order (most
/// bodies have none, and walking every body in order is what a rule must not pay for).
pub fn bodies_with(program: &Program, pick: impl Fn(&Effect) -> bool) -> Vec<Body> {
    let mut seen = HashSet::default();
    program
        .effects
        .iter()
        .filter(|s| pick(&s.effect))
        .map(|s| s.body)
        .filter(|b| seen.insert(*b))
        .collect()
}

/// The bodies that hold a region of kind `kind`, once each.
pub fn bodies_with_region(program: &Program, kind: RegionKind) -> Vec<Body> {
    let mut seen = HashSet::default();
    let mut out = Vec::new();
    for file in program.file_ids() {
        for r in program
            .summary(file)
            .regions
            .iter()
            .filter(|r| r.kind == kind)
        {
            let body = match r.func {
                None => Body::Module(file),
                Some(func) => Body::Function(FnRef { file, func }),
            };
            if seen.insert(body) {
                out.push(body);
            }
        }
    }
    out
}

/// A dedicated thread that runs code in a subinterpreter, started and not yet joined.
#[derive(Clone, Copy, Debug)]
pub struct LiveThread {
    pub start: EffectId,
    pub handle: Option<(FileId, Handle)>,
    /// The run it performs (for the trace), when it is in project code.
    pub run: Option<(FnRef, EffectId)>,
}

/// Whether a thread start runs a subinterpreter: `interp.call_in_thread(f)`, or a dedicated
/// thread whose target runs one. Pooled threads are FL301's.
fn subinterp_thread(program: &Program, id: EffectId) -> Option<LiveThread> {
    let Effect::ThreadStart {
        api,
        targets,
        handle,
        pooled: false,
        known_target,
        ..
    } = &program.effect(id).effect
    else {
        return None;
    };
    let runs_known = known_target
        .as_deref()
        .and_then(|k| program.knowledge.get(k))
        .is_some_and(|a| a.has(crate::knowledge::EffectKind::SubinterpRun));
    if runs_known
        || program
            .knowledge
            .get(api)
            .is_some_and(|a| a.subinterp_target)
    {
        return Some(LiveThread {
            start: id,
            handle: *handle,
            run: None,
        });
    }
    targets.iter().find_map(|t| {
        runs_subinterp(program, *t).map(|run| LiveThread {
            start: id,
            handle: *handle,
            run: Some((*t, run)),
        })
    })
}

/// Walks a body in source order, keeping the dedicated subinterpreter threads started and
/// not yet joined, and calls `visit` with each effect and the threads live just before it.
///
/// A join of one of those threads ends it. Any other wait (an `Event.wait()`, a pooled
/// `run_sync(t.join)`, a call of a function that waits) is taken as the completion
/// handshake RULES.md accepts, and ends them all.
pub fn walk_live(
    program: &Program,
    body: Body,
    mut visit: impl FnMut(&Item, EffectId, &[LiveThread]),
) {
    let mut live: Vec<LiveThread> = Vec::new();
    let mut thread_handles: Vec<(FileId, Handle)> = Vec::new();
    for item in body_items(program, body) {
        match item.resolved {
            Resolved::Effect(id) => {
                visit(&item, id, &live);
                match &program.effect(id).effect {
                    Effect::ThreadStart { handle, .. } => {
                        if let Some(h) = handle {
                            thread_handles.push(*h);
                        }
                        if let Some(t) = subinterp_thread(program, id) {
                            live.push(t);
                        }
                    }
                    Effect::ThreadWait {
                        handle: Some(h), ..
                    } if thread_handles.contains(h) => live.retain(|t| t.handle != Some(*h)),
                    Effect::ThreadWait { .. } => live.clear(),
                    Effect::Handoff {
                        to: HandoffKind::PooledThread,
                        known: Some(api),
                        ..
                    } if program
                        .knowledge
                        .get(api)
                        .is_some_and(|a| a.has(crate::knowledge::EffectKind::ThreadWait)) =>
                    {
                        live.clear()
                    }
                    _ => {}
                }
            }
            Resolved::Call(f) => {
                let waits = program
                    .call_reach(body, item.event, f)
                    .iter()
                    .any(|id| matches!(program.effect(*id).effect, Effect::ThreadWait { .. }));
                if waits {
                    live.clear();
                }
            }
        }
    }
}

/// The regions of kind `kind` recorded in a body.
pub fn regions_in(
    program: &Program,
    body: Body,
    kind: RegionKind,
) -> impl Iterator<Item = &crate::summary::Region> + '_ {
    let (file, func) = match body {
        Body::Module(file) => (file, None),
        Body::Function(f) => (file_of(f), Some(f.func)),
    };
    program
        .summary(file)
        .regions
        .iter()
        .filter(move |r| r.kind == kind && r.func == func)
}

fn file_of(f: FnRef) -> FileId {
    f.file
}

/// Whether an effect site lies in a region of kind `kind` of its own file.
pub fn inside_region(program: &Program, id: EffectId, kind: RegionKind) -> bool {
    let site = program.effect(id);
    program
        .summary(site.body.file())
        .regions
        .iter()
        .any(|r| r.kind == kind && r.body.contains_range(site.range))
}
