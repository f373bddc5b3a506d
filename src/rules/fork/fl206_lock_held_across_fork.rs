use rustc_hash::FxHashSet as HashSet;

use ruff_text_size::{TextRange, TextSize};

use crate::diagnostic::{Diagnostic, FileId, Location, Severity, Step};
use crate::knowledge::SpawnKind;
use crate::program::{Body, Effect, EffectId, FnRef, Program, Resolved};
use crate::rules::{Family, FixAvailability, Rule};
use crate::summary::Handle;

use super::{AT_FORK_CAVEATS, at_fork_files, on_cells, site_location, site_snippet};

pub static RULE: Rule = Rule {
    code: "FL206",
    name: "lock-held-across-fork",
    family: Family::Fork,
    severity: Severity::Error,
    default_enabled: true,
    fix: FixAvailability::Display,
    summary: "A process forks while holding a lock that the child then tries to acquire.",
    doc: r#"## What it does
Reports a fork — `os.fork()` and friends, or a `multiprocessing` start whose start method is fork
on some configured cell — made inside `with lock:` (or between `lock.acquire()` and
`lock.release()` in the same function, directly or through a function called there), where
`lock` is a `threading.Lock` or `threading.Semaphore` held in a module global or a `self`
attribute, and the child then acquires the same lock: in the child branch of `os.fork()`
(`if pid == 0:`, directly or through a function it calls), or in the `Process` target (or a
function it calls).

## Why is this bad?
The child gets a copy of the lock in its locked state, and the thread that would release it does
not exist in the child (or has moved on, in the parent). The child's first `acquire()` blocks
forever.

## Example
```python
import os, threading

_lock = threading.Lock()

def flush():
    with _lock:
        ...

def spawn_worker():
    with _lock:
        pid = os.fork()
        if pid == 0:
            flush()      # blocks forever: _lock was copied locked
            os._exit(0)
```

## Use instead
```python
def spawn_worker():
    with _lock:
        snapshot = ...
    pid = os.fork()          # fork with the lock released
    if pid == 0:
        flush()
        os._exit(0)
```
Or reinitialise the lock in the child with `os.register_at_fork(after_in_child=...)`: replace
the lock object (the public way), or call `lock._at_fork_reinit()` (private, 3.9+), as the
standard library does.

## When it does not apply
An `RLock` (the forking thread owns it, and is the child's only thread, so it can re-enter);
a lock released before the fork; a child that never touches the lock; spawn and forkserver
starts (the child does not inherit the lock). Locks held by *other* threads at the fork are
FL201's subject.

## Python versions and platforms
POSIX, every version. For `multiprocessing` starts, the cells where the start method is fork.
"#,
    check,
};

/// `(file, handle)` of a lock object.
type LockId = (FileId, Handle);

/// The events of a body: range and resolutions, in order.
fn body_events(program: &Program, body: Body) -> Vec<(TextRange, &[Resolved])> {
    match body {
        Body::Module(file) => program
            .summary(file)
            .body
            .iter()
            .enumerate()
            .map(|(i, e)| (e.range, program.body_events[file.0 as usize].get(i)))
            .collect(),
        Body::Function(f) => program.fn_events[f.file.0 as usize]
            .with_ranges(f.func)
            .collect(),
    }
}

fn acquires(program: &Program, id: EffectId, lock: LockId) -> bool {
    matches!(program.effect(id).effect, Effect::Lock { acquire: true, handle: Some(h) } if h == lock)
}

/// Whether `f`, or anything it calls, acquires `lock`.
fn reaches_acquire(program: &Program, f: FnRef, lock: LockId) -> bool {
    program
        .reach(f)
        .iter()
        .any(|id| acquires(program, *id, lock))
}

/// Whether code in `range` of `body` acquires `lock`, itself or through calls.
fn acquires_in(program: &Program, body: Body, range: TextRange, lock: LockId) -> bool {
    body_events(program, body)
        .into_iter()
        .enumerate()
        .filter(|(_, (r, _))| range.contains_range(*r))
        .any(|(i, (_, resolved))| {
            resolved.iter().any(|r| match r {
                Resolved::Effect(id) => acquires(program, *id, lock),
                Resolved::Call(f) => program
                    .call_reach(body, i, *f)
                    .iter()
                    .any(|id| acquires(program, *id, lock)),
            })
        })
}

/// Whether the child of the fork at `sink` acquires `lock`.
fn child_acquires(program: &Program, sink: EffectId, lock: LockId) -> bool {
    let site = program.effect(sink);
    match &site.effect {
        Effect::ProcessSpawn {
            kind: SpawnKind::Fork,
            ..
        } => program
            .summary(site.body.file())
            .fork_children
            .iter()
            .filter(|c| c.fork == site.range)
            .any(|c| acquires_in(program, site.body, c.body, lock)),
        Effect::ProcessSpawn {
            kind: SpawnKind::Multiprocessing,
            targets,
            ..
        } => targets.iter().any(|t| reaches_acquire(program, *t, lock)),
        _ => false,
    }
}

fn is_fork_sink(program: &Program, id: EffectId) -> bool {
    matches!(
        program.effect(id).effect,
        Effect::ProcessSpawn {
            kind: SpawnKind::Fork | SpawnKind::Multiprocessing,
            ..
        }
    )
}

fn check(program: &Program, out: &mut Vec<Diagnostic>) {
    let flow = program.fork_flow();
    let mitigated = at_fork_files(program);
    let mut reported = HashSet::default();
    let bodies = program.file_ids().flat_map(|file| {
        std::iter::once(Body::Module(file)).chain(
            (0..program.fn_events[file.0 as usize].len() as u32)
                .map(move |func| Body::Function(FnRef { file, func })),
        )
    });
    for body in bodies {
        let events = body_events(program, body);
        // Held regions: from an acquire to the next release of the same lock, or to the end.
        let mut open: Vec<(LockId, TextRange)> = Vec::new();
        let mut regions: Vec<(LockId, TextRange, TextSize)> = Vec::new();
        for (range, resolved) in &events {
            for r in *resolved {
                let Resolved::Effect(id) = r else { continue };
                if let Effect::Lock {
                    acquire,
                    handle: Some(lock),
                } = program.effect(*id).effect
                {
                    if acquire {
                        if !open.iter().any(|(l, _)| *l == lock) {
                            open.push((lock, *range));
                        }
                    } else if let Some(i) = open.iter().position(|(l, _)| *l == lock) {
                        let (lock, at) = open.remove(i);
                        regions.push((lock, at, range.start()));
                    }
                }
            }
        }
        regions.extend(
            open.into_iter()
                .map(|(l, at)| (l, at, TextSize::from(u32::MAX))),
        );
        if regions.is_empty() {
            continue;
        }
        for (i, (range, resolved)) in events.iter().enumerate() {
            for &(lock, acquired, end) in &regions {
                if range.start() <= acquired.start() || range.start() >= end {
                    continue;
                }
                let sinks: Vec<EffectId> = resolved
                    .iter()
                    .flat_map(|r| match r {
                        Resolved::Effect(id) => vec![*id],
                        Resolved::Call(f) => program.call_reach(body, i, *f).to_vec(),
                    })
                    .filter(|id| is_fork_sink(program, *id))
                    .collect();
                for sink in sinks {
                    let cells = match program.effect(sink).effect {
                        Effect::ProcessSpawn {
                            kind: SpawnKind::Fork,
                            ..
                        } => flow.grid.posix(),
                        _ => flow
                            .sinks
                            .binary_search_by_key(&sink, |s| s.effect)
                            .map_or(0, |i| flow.sinks[i].fork),
                    };
                    if cells == 0 || !child_acquires(program, sink, lock) || !reported.insert(sink)
                    {
                        continue;
                    }
                    let call = site_snippet(program, sink);
                    let held = Location {
                        file: body.file(),
                        range: acquired,
                    };
                    let mut severity = RULE.severity;
                    let mut notes = Vec::new();
                    if mitigated.contains(&lock.0) {
                        severity = Severity::Warning;
                        notes.push(AT_FORK_CAVEATS.to_string());
                    }
                    let mut trace = vec![Step {
                        location: held,
                        message: "the lock is acquired here and still held at the fork".into(),
                    }];
                    if *range != program.effect(sink).range {
                        trace.push(Step {
                            location: Location {
                                file: body.file(),
                                range: *range,
                            },
                            message: "this call forks".into(),
                        });
                    }
                    out.push(Diagnostic {
                        code: RULE.code,
                        name: RULE.name,
                        severity,
                        message: format!(
                            "`{call}` forks while this thread holds a lock (acquired at line {}) \
                             that the child acquires again: the child blocks forever{}",
                            program.file(body.file()).line_col(acquired.start()).0,
                            on_cells(program, cells)
                        ),
                        primary: site_location(program, sink),
                        label: "forks with a lock held".into(),
                        trace,
                        help: Some(
                            "release the lock before forking, or reinitialise it in \
                             `os.register_at_fork(after_in_child=...)`"
                                .into(),
                        ),
                        notes,
                        fix: None,
                        also: Vec::new(),
                    });
                }
            }
        }
    }
}
