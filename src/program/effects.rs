//! Events → effects. The only place where a known API's table entry becomes an effect.

use rayon::prelude::*;
use ruff_text_size::TextRange;

use crate::diagnostic::FileId;
use crate::knowledge::{Api, ApiKind, EffectKind, SpawnKind};
use crate::summary::{CallArgs, CallBinding, ClassIdx, Event, EventKind, Handle, Instance, Value};

use super::reach::{CallSite, SkippedEvents};
use super::resolve::{FnRef, MethodTarget, Target};
use super::start_methods::MethodSet;
use super::{Obj, ObjId, PointsTo, Program};

/// How many method results deep [`Program::made_instance`] follows an object back to the
/// instance it came from (`ex.submit(f)` → `ex`: one).
const MAX_MADE_DEPTH: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EffectId(pub u32);

/// Which body an effect is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Body {
    Module(FileId),
    Function(FnRef),
}

impl Body {
    pub fn file(self) -> FileId {
        match self {
            Body::Module(f) => f,
            Body::Function(f) => f.file,
        }
    }
}

/// What a piece of code does, in the vocabulary of RULES.md §0.2.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    ThreadStart {
        api: String,
        daemon: Option<bool>,
        /// What the thread runs, when known.
        targets: Vec<FnRef>,
        handle: Option<(FileId, Handle)>,
        pooled: bool,
        /// Started by a library's internals rather than by project code.
        library: bool,
        /// The library starts the threads later, on first use (knowledge `lazy`): not an
        /// import-time start, but maybe running at a later fork.
        lazy: bool,
        /// The known API the thread runs, when its target is one (`Thread(target=interp.exec)`).
        /// Boxed: rare, and every effect is as large as the largest variant.
        known_target: Option<Box<String>>,
    },
    ThreadWait {
        api: String,
        /// The thread, pool or future waited on; `None` when it cannot be told (an event, a queue).
        handle: Option<(FileId, Handle)>,
        /// Given a timeout (`join(5)`, `wait(timeout=1)`): it ends even if nothing signals.
        bounded: bool,
    },
    ProcessSpawn {
        api: String,
        kind: SpawnKind,
        /// The start methods chosen at the call (`get_context("spawn").Process`,
        /// `mp_context=`, a context held elsewhere); empty when none is.
        start_method: MethodSet,
        preexec_fn: bool,
        /// The object started (the `Process`, the executor), when it is one.
        handle: Option<(FileId, Handle)>,
        /// What the child runs first, when known (`Process(target=f)`, a pool initializer).
        targets: Vec<FnRef>,
    },
    /// `multiprocessing.get_context(method)`.
    GetContext {
        method: MethodSet,
    },
    /// Acquiring (`with lock:`, `lock.acquire()`) or releasing a mutex.
    Lock {
        acquire: bool,
        handle: Option<(FileId, Handle)>,
    },
    /// An import of `name`; `modules` are the project modules whose import runs, in order
    /// (parents first) — empty for a module outside the project.
    Import {
        name: String,
        modules: Vec<FileId>,
        dynamic: bool,
        /// `from pkg import mod`: the `pkg.mod` names some rule knows about (a knowledge-base
        /// module entry, an in-project native extension). Usually empty.
        also: Box<[String]>,
    },
    /// A dynamic import whose module name is not a literal.
    UnknownImport,
    SetStartMethod {
        method: MethodSet,
    },
    /// A subinterpreter operation (RULES.md §3: `SUBI_RUN`, `SUBI_DESTROY`, …).
    Subinterp {
        api: String,
        op: SubiOp,
        /// `Run`: the project code it runs (a callable, or a literal code string walked as
        /// a function).
        targets: Vec<FnRef>,
        /// `Create`: a legacy interpreter, sharing the main GIL (`create("legacy")`).
        legacy: bool,
    },
    /// A callable handed over to run elsewhere: on a pooled thread, in a subinterpreter, at
    /// shutdown.
    Handoff {
        api: String,
        to: HandoffKind,
        /// The project code handed over.
        targets: Vec<FnRef>,
        /// The known API handed over itself (`run_sync(_interpreters.exec, …)`,
        /// `run_sync(t.join)`), by its knowledge-base name.
        known: Option<Box<String>>,
    },
    /// Setting (`ev.set()`) or testing (`ev.is_set()`) an event (FL403).
    EventOp {
        set: bool,
        handle: Option<(FileId, Handle)>,
    },
    /// `os.register_at_fork(...)`: hooks that run around every fork made through
    /// `os.fork()` (and so every `multiprocessing` fork start).
    AtFork {
        api: String,
        /// `before=`: runs in the parent before each fork. A hook that joins a thread keeps
        /// that thread from ever running at a fork.
        before: Vec<FnRef>,
        /// `after_in_child=` is given: the module resets its state in the child (the
        /// `at-fork-mitigated` recognizer, RULES.md §2).
        after_in_child: bool,
    },
    /// Effects later rule families read (signals, …).
    Other {
        api: String,
        kind: EffectKind,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubiOp {
    Create,
    Run,
    Destroy,
    IsRunning,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandoffKind {
    /// A reused pool thread (`trio.to_thread.run_sync`, `executor.submit`).
    PooledThread,
    /// A subinterpreter (`interp.call(f)`, `InterpreterPoolExecutor.submit(f)`).
    Subinterpreter,
    /// A finalizer: `atexit.register`, `weakref.finalize` — runs after non-daemon threads
    /// were joined.
    AtExit,
    /// `threading._register_atexit`: runs before non-daemon threads are joined.
    ThreadingShutdown,
}

/// An effect and where it happens.
#[derive(Clone, Debug)]
pub struct EffectSite {
    pub body: Body,
    pub range: TextRange,
    pub effect: Effect,
}

/// What one summary event turns into once names are resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    Call(FnRef),
    Effect(EffectId),
}

/// What each event of one body (a module body or a function) resolved to, stored flat:
/// event `i` is `items[starts[i]..starts[i + 1]]`. One allocation per body instead of one
/// per event keeps large projects small.
#[derive(Clone, Debug, Default)]
pub struct ResolvedEvents {
    starts: Vec<u32>,
    items: Vec<Resolved>,
    /// Source range of each event (function bodies only: a module body's events stay in its
    /// summary, which the rules read).
    ranges: Vec<TextRange>,
    /// Where each event runs (function bodies only, as `ranges`).
    flags: Vec<EventFlags>,
}

/// Where an event runs, kept from its summary event after the event itself is dropped: the
/// platforms it can run on and whether it is on every path of its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventFlags(u8);

impl EventFlags {
    const CONDITIONAL: u8 = 0b1000;

    pub fn of(event: &Event) -> Self {
        Self(
            event.platforms & 0b111
                | if event.conditional {
                    Self::CONDITIONAL
                } else {
                    0
                },
        )
    }

    /// The platforms the event can run on ([`crate::settings::Platform::bit`]).
    pub fn platforms(self) -> u8 {
        self.0 & 0b111
    }

    pub fn conditional(self) -> bool {
        self.0 & Self::CONDITIONAL != 0
    }
}

impl ResolvedEvents {
    /// What event `i` resolved to (nothing for an index past the end).
    pub fn get(&self, i: usize) -> &[Resolved] {
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.items[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Each event's resolutions, in event order.
    pub fn iter(&self) -> impl Iterator<Item = &[Resolved]> + '_ {
        self.starts
            .windows(2)
            .map(|w| &self.items[w[0] as usize..w[1] as usize])
    }

    /// Every resolution of the body, in event order.
    pub fn all(&self) -> &[Resolved] {
        &self.items
    }

    fn begin_event(&mut self) {
        if self.starts.is_empty() {
            self.starts.push(0);
        }
    }

    fn end_event(&mut self) {
        self.starts.push(self.items.len() as u32);
    }

    fn shrink(&mut self) {
        self.starts.shrink_to_fit();
        self.items.shrink_to_fit();
        self.ranges.shrink_to_fit();
        self.flags.shrink_to_fit();
    }
}

/// The resolved events of every function of one file, stored flat (one allocation per file,
/// not per function): function `f`'s events are events `bounds[f]..bounds[f + 1]`.
#[derive(Clone, Debug, Default)]
pub struct FunctionEvents {
    bounds: Vec<u32>,
    events: ResolvedEvents,
}

impl FunctionEvents {
    /// Number of functions.
    pub fn len(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn event_span(&self, func: u32) -> (usize, usize) {
        match (
            self.bounds.get(func as usize),
            self.bounds.get(func as usize + 1),
        ) {
            (Some(&a), Some(&b)) => (a as usize, b as usize),
            _ => (0, 0),
        }
    }

    /// Every resolution of function `func`, in event order.
    pub fn all(&self, func: u32) -> &[Resolved] {
        let (lo, hi) = self.event_span(func);
        match (self.events.starts.get(lo), self.events.starts.get(hi)) {
            (Some(&a), Some(&b)) => &self.events.items[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Each event of function `func`: its source range with its resolutions.
    pub fn with_ranges(&self, func: u32) -> impl Iterator<Item = (TextRange, &[Resolved])> + '_ {
        let (lo, hi) = self.event_span(func);
        (lo..hi).map(|i| (self.events.ranges[i], self.events.get(i)))
    }

    /// Each event of function `func`: its source range, where it runs, and its resolutions.
    pub fn with_flags(
        &self,
        func: u32,
    ) -> impl Iterator<Item = (TextRange, EventFlags, &[Resolved])> + '_ {
        let (lo, hi) = self.event_span(func);
        (lo..hi).map(|i| {
            (
                self.events.ranges[i],
                self.events.flags[i],
                self.events.get(i),
            )
        })
    }
}

/// Effects found while resolving one file, numbered from 0 within the file; renumbered when
/// the files are merged.
#[derive(Clone, Default)]
pub struct FileResolution {
    body: ResolvedEvents,
    functions: FunctionEvents,
    effects: Vec<EffectSite>,
    /// The file's calls that skip guarded events of their callee.
    skipped: Vec<(CallSite, SkippedEvents)>,
}

impl Program {
    /// Resolves every event of every file. Files are independent (each reads only the
    /// summaries, which are final), so they are resolved in parallel and merged in file order,
    /// which keeps effect ids deterministic.
    ///
    /// Function events are moved out of the summaries and dropped as each file is done: once
    /// resolved, only their ranges are needed (to show a chain), and on a large project they
    /// are most of the memory. Module-body events stay: the rules read them.
    pub(super) fn resolve_all(&mut self) {
        // Methods called on receivers the summaries cannot name are classified by the
        // objects the value flow brings there: solve it once, before the files are resolved
        // in parallel.
        if self.files.iter().any(|f| f.summary.has_value_methods) {
            self.points_to();
        }
        if self.keep_function_events {
            return self.resolve_all_keeping();
        }
        let function_events: Vec<Vec<Vec<Event>>> = self
            .files
            .iter_mut()
            .map(|f| {
                f.summary
                    .functions
                    .iter_mut()
                    .map(|func| std::mem::take(&mut func.events))
                    .collect()
            })
            .collect();
        let per_file: Vec<FileResolution> = function_events
            .into_par_iter()
            .enumerate()
            .map(|(i, owned)| {
                let events: Vec<&[Event]> = owned.iter().map(Vec::as_slice).collect();
                self.resolve_file(FileId(i as u32), &events)
            })
            .collect();
        self.merge_resolutions(per_file);
    }

    /// For a program that will be linked again: function events stay in the summaries, and
    /// each file's resolution is kept, to be reused next time when neither the file nor
    /// anything it can see of other files changed ([`super::LinkInput::replace`]).
    fn resolve_all_keeping(&mut self) {
        let cached = std::mem::take(&mut self.resolutions);
        let per_file: Vec<std::sync::Arc<FileResolution>> = (0..self.files.len())
            .into_par_iter()
            .map(|i| {
                // What a file with methods called on unnamed receivers does depends on
                // what every other file passes it: resolved again each time.
                if let Some(Some(r)) = cached.get(i)
                    && !self.files[i].summary.has_value_methods
                {
                    return r.clone();
                }
                let events: Vec<&[Event]> = self.files[i]
                    .summary
                    .functions
                    .iter()
                    .map(|func| func.events.as_slice())
                    .collect();
                std::sync::Arc::new(self.resolve_file(FileId(i as u32), &events))
            })
            .collect();
        self.merge_resolutions(per_file.iter().map(|r| FileResolution::clone(r)).collect());
        self.resolutions = per_file.into_iter().map(Some).collect();
    }

    /// Merges per-file resolutions in file order, numbering effects across the program.
    fn merge_resolutions(&mut self, per_file: Vec<FileResolution>) {
        let total: usize = per_file.iter().map(|r| r.effects.len()).sum();
        let mut effects = Vec::with_capacity(total);
        let mut body_events = Vec::with_capacity(per_file.len());
        let mut fn_events = Vec::with_capacity(per_file.len());
        let mut skipped_calls = rustc_hash::FxHashMap::default();
        for mut r in per_file {
            let offset = effects.len() as u32;
            let renumber = |events: &mut ResolvedEvents| {
                for e in &mut events.items {
                    if let Resolved::Effect(id) = e {
                        id.0 += offset;
                    }
                }
            };
            renumber(&mut r.body);
            renumber(&mut r.functions.events);
            effects.append(&mut r.effects);
            skipped_calls.extend(r.skipped.drain(..));
            body_events.push(r.body);
            fn_events.push(r.functions);
        }
        self.effects = effects;
        self.body_events = body_events;
        self.fn_events = fn_events;
        self.skipped_calls = skipped_calls;
    }

    /// Resolves one file: its module body (from its summary) and its functions' events
    /// (moved out of the summary, or still in it when the program can be linked again).
    fn resolve_file(&self, file: FileId, function_events: &[&[Event]]) -> FileResolution {
        let summary = self.summary(file);
        let mut out = FileResolution::default();
        // Clauses module constants decide never run, unless some module sets the constant.
        let never_run: Vec<(Option<u32>, std::ops::Range<u32>)> = summary
            .constant_guards
            .iter()
            .filter(|g| {
                !g.names
                    .iter()
                    .any(|n| self.set_from_outside(&summary.module, n))
            })
            .map(|g| (g.func, g.events.clone()))
            .collect();
        let runs = |body: Body, event: usize| {
            let func = match body {
                Body::Module(_) => None,
                Body::Function(f) => Some(f.func),
            };
            !never_run
                .iter()
                .any(|(f, range)| *f == func && range.contains(&(event as u32)))
        };
        let resolve_into =
            |body: Body,
             events: &[Event],
             keep_ranges: bool,
             resolved: &mut ResolvedEvents,
             effects: &mut Vec<EffectSite>,
             skipped: &mut Vec<(CallSite, SkippedEvents)>| {
                for (i, e) in events.iter().enumerate() {
                    resolved.begin_event();
                    let items = &mut resolved.items;
                    if runs(body, i) {
                        self.resolve_event(file, body, i as u32, e, effects, items, skipped);
                    }
                    resolved.end_event();
                    if keep_ranges {
                        resolved.ranges.push(e.range);
                        resolved.flags.push(EventFlags::of(e));
                    }
                }
            };
        resolve_into(
            Body::Module(file),
            &summary.body,
            false,
            &mut out.body,
            &mut out.effects,
            &mut out.skipped,
        );
        out.body.shrink();
        let total: usize = function_events.iter().map(|e| e.len()).sum();
        let functions = &mut out.functions;
        functions.bounds.reserve_exact(function_events.len() + 1);
        functions.events.starts.reserve_exact(total + 1);
        functions.events.ranges.reserve_exact(total);
        functions.events.flags.reserve_exact(total);
        functions.events.items.reserve(total);
        let mut count = 0u32;
        for (func, events) in function_events.iter().enumerate() {
            functions.bounds.push(count);
            count += events.len() as u32;
            let body = Body::Function(FnRef {
                file,
                func: func as u32,
            });
            let (events_out, effects) = (&mut functions.events, &mut out.effects);
            resolve_into(body, events, true, events_out, effects, &mut out.skipped);
        }
        functions.bounds.push(count);
        functions.events.shrink();
        out
    }

    /// Resolves event number `index` of `body`. A call of project code that certainly
    /// skips some guarded events of its callee is noted in `skipped`.
    #[allow(clippy::too_many_arguments)]
    fn resolve_event(
        &self,
        file: FileId,
        body: Body,
        index: u32,
        event: &Event,
        effects: &mut Vec<EffectSite>,
        out: &mut Vec<Resolved>,
        skipped: &mut Vec<(CallSite, SkippedEvents)>,
    ) {
        let mut push_effect = |mut effect: Effect| {
            self.hand_off_by_flow(file, event.range, &mut effect);
            self.start_methods_by_flow(file, event.range, &mut effect);
            let id = EffectId(effects.len() as u32);
            effects.push(EffectSite {
                body,
                range: event.range,
                effect,
            });
            Resolved::Effect(id)
        };
        match &event.kind {
            EventKind::Import {
                module,
                names,
                dynamic,
            } => {
                let modules = self.import_targets(module, names);
                // Most imports name nothing of note: skip building names for them.
                let also: Box<[String]> =
                    if self.native_names.is_empty() && !self.knowledge.has_module_under(module) {
                        Box::default()
                    } else {
                        names
                            .iter()
                            .map(|n| format!("{module}.{n}"))
                            .filter(|full| self.is_notable_module(full))
                            .collect()
                    };
                let effect = Effect::Import {
                    name: module.clone(),
                    modules,
                    dynamic: *dynamic,
                    also,
                };
                out.push(push_effect(effect));
            }
            EventKind::UnknownImport => out.push(push_effect(Effect::UnknownImport)),
            EventKind::Call {
                callee,
                args,
                shape,
            } => {
                let no_args = CallArgs::default();
                let args = args.as_deref().unwrap_or(&no_args);
                let mut push = |c| {
                    out.push(match c {
                        Classified::Call(f, binding) => {
                            if let Some(binding) = binding {
                                let callee = &self.summary(f.file).functions[f.func as usize];
                                let failed = callee.skipped_by(binding, args, *shape);
                                if !failed.is_empty() {
                                    let site = CallSite {
                                        caller: body,
                                        event: index,
                                        callee: f,
                                    };
                                    skipped.push((site, failed.into()));
                                }
                            }
                            Resolved::Call(f)
                        }
                        Classified::Effect(eff) => push_effect(eff),
                    })
                };
                match self.unnamed_self_attr(file, callee) {
                    // `self.pool.submit(f)` where `self.pool` is not set to an instance the
                    // summaries name (a parameter stored in `__init__`, an object made
                    // elsewhere): the value flow knows what it holds.
                    Some(method) => self.value_method(file, event.range, method, args, &mut push),
                    None => self.call_effects(file, callee, args, &mut push),
                }
            }
            EventKind::ValueMethod { method, args } => {
                let no_args = CallArgs::default();
                let args = args.as_deref().unwrap_or(&no_args);
                self.value_method(file, event.range, method, args, &mut |c| {
                    out.push(match c {
                        Classified::Call(f, _) => Resolved::Call(f),
                        Classified::Effect(eff) => push_effect(eff),
                    })
                });
            }
            EventKind::WithExit {
                manager: Value::Instance(inst),
            } => {
                let exit = match self.resolve_qual(&inst.class) {
                    Target::Known(api) => api.exit_effect,
                    Target::Class(f2, c2) => self.known_base(f2, c2).and_then(|a| a.exit_effect),
                    _ => None,
                };
                if exit == Some(EffectKind::ThreadWait) {
                    let api = format!("{}.__exit__", inst.class);
                    let handle = Some((file, inst.handle));
                    out.push(push_effect(Effect::ThreadWait {
                        api,
                        handle,
                        bounded: false,
                    }));
                }
            }
            EventKind::WithExit { .. } => {}
            EventKind::Consume { callee } => {
                // Iterating `executor.map(...)` waits for the pool's results.
                let mut starts_pool = false;
                self.call_effects(file, callee, &CallArgs::default(), &mut |c| {
                    starts_pool |= matches!(
                        c,
                        Classified::Effect(Effect::ThreadStart { pooled: true, .. })
                            | Classified::Effect(Effect::ProcessSpawn {
                                kind: SpawnKind::Multiprocessing,
                                ..
                            })
                    );
                });
                let handle = match callee {
                    Value::BoundMethod { receiver, .. } => Some((file, receiver.handle)),
                    _ => None,
                };
                if starts_pool {
                    let api = "iterating results".to_string();
                    out.push(push_effect(Effect::ThreadWait {
                        api,
                        handle,
                        bounded: false,
                    }));
                }
            }
        }
    }

    /// A module some rule reads imports of: a knowledge-base module entry, or a native
    /// extension defined in the project (matched by its last name).
    pub fn is_notable_module(&self, name: &str) -> bool {
        self.knowledge
            .get(name)
            .is_some_and(|a| a.kind == ApiKind::Module)
            || self
                .native_names
                .contains(name.rsplit('.').next().unwrap_or(name))
    }

    /// `import a.b.c` runs `a`, `a.b` and `a.b.c`; `from a import b` also runs `a.b` when it
    /// is a submodule. Only project modules matter: the effects of others are not known.
    fn import_targets(&self, module: &str, names: &[String]) -> Vec<FileId> {
        let mut out = Vec::new();
        // `import __main__` is the running main module, in `sys.modules` from the start: it
        // runs no file, even when the project has a top-level `__main__.py`.
        if module == "__main__" || module.starts_with("__main__.") {
            return out;
        }
        let mut end = 0;
        loop {
            end = module[end..].find('.').map_or(module.len(), |i| end + i);
            if let Some(f) = self.module(&module[..end]) {
                out.push(f);
            }
            if end == module.len() {
                break;
            }
            end += 1;
        }
        for name in names {
            if let Some(f) = self.module(&format!("{module}.{name}")) {
                out.push(f);
            }
        }
        out
    }

    /// What calling `callee` does, passed to `out` (a call of project code, or effects).
    /// A callback rather than a returned `Vec`: most calls resolve to one project function,
    /// and a large project has hundreds of thousands of them.
    fn call_effects(
        &self,
        file: FileId,
        callee: &Value,
        args: &CallArgs,
        out: &mut dyn FnMut(Classified),
    ) {
        match callee {
            Value::Qual(q) => match self.resolve_qual(q) {
                Target::Known(api) => self.classify(file, api, args, None, None, out),
                Target::Function(f) => out(Classified::Call(f, Some(CallBinding::Plain))),
                Target::Class(f2, c2) => self.construct(file, f2, c2, args, out),
                Target::InstanceMethod(f2, inst, m) => {
                    self.method_call(file, f2, inst, &m, args, out)
                }
                Target::Module(_) | Target::Unknown => {}
            },
            Value::Local(f) => out(Classified::Call(
                FnRef { file, func: *f },
                Some(CallBinding::Plain),
            )),
            // The partial's own arguments come first, and are not these.
            Value::Partial(inner) => self.call_effects(file, inner, args, &mut |c| match c {
                Classified::Call(f, _) => out(Classified::Call(f, None)),
                effect => out(effect),
            }),
            Value::BoundMethod { receiver, method } => {
                self.method_call(file, file, receiver, method, args, out)
            }
            Value::SelfAttr { class, path } => match path.as_slice() {
                [method] => match self.lookup_method(file, *class, method) {
                    MethodTarget::Project(f) => out(Classified::Call(f, Some(CallBinding::Bound))),
                    MethodTarget::Known(api) => {
                        self.classify(file, api, args, None, Some((file, *class)), out)
                    }
                    MethodTarget::None => {}
                },
                [attr, method] => {
                    if let Some(inst) = self
                        .summary(file)
                        .classes
                        .get(*class as usize)
                        .and_then(|c| c.attrs.get(attr.as_str()))
                    {
                        self.method_call(file, file, inst, method, args, out);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// `self.attr.method` where no method of the class sets `self.attr` to an instance the
    /// summaries name, and `method` is one a known class gives effects to: the method's name.
    fn unnamed_self_attr<'v>(&self, file: FileId, callee: &'v Value) -> Option<&'v str> {
        let Value::SelfAttr { class, path } = callee else {
            return None;
        };
        let [attr, method] = path.as_slice() else {
            return None;
        };
        let known = self
            .summary(file)
            .classes
            .get(*class as usize)
            .is_some_and(|c| c.attrs.contains_key(attr.as_str()));
        (!known && self.knowledge.is_effect_method(method)).then_some(method.as_str())
    }

    /// A method called at `range` of `file` on a receiver the summaries cannot name: what it
    /// does on each object the value flow brings there. A library object of a known class
    /// (`ProcessPoolExecutor()`, `threading.Thread(...)`, the future a `submit` returns) is
    /// classified as the same call on an instance named in its own module would be, with
    /// that instance's handle, constructor arguments and start method; an instance of a
    /// project class runs the known method it inherits (a `Thread` subclass's `start`).
    fn value_method(
        &self,
        file: FileId,
        range: TextRange,
        method: &str,
        args: &CallArgs,
        out: &mut dyn FnMut(Classified),
    ) {
        let pt = self.points_to();
        for o in pt.receivers(file, range) {
            match pt.object(o) {
                Obj::ExtInstance { name, .. } => {
                    let Some(class) = self.known_class_of(name) else {
                        continue;
                    };
                    let Some(api) = self.knowledge.get_member(&class.name, method) else {
                        continue;
                    };
                    match self.made_instance(pt, o, 0) {
                        Some((origin, inst)) => {
                            self.classify(file, api, args, Some((origin, &inst)), None, out)
                        }
                        None => self.classify(file, api, args, None, None, out),
                    }
                }
                Obj::Instance { class, .. } => {
                    let &Obj::Class(cf, scope) = pt.object(*class) else {
                        continue;
                    };
                    let summary = self.summary(cf);
                    let Some(c) = summary
                        .flow
                        .scopes
                        .get(scope as usize)
                        .and_then(|s| summary.class_by_qualname(&s.qualname))
                    else {
                        continue;
                    };
                    // Only what a library base gives the class: project methods are the
                    // call graph's, which the summaries' calls already are.
                    let MethodTarget::Known(api) = self.lookup_method(cf, c, method) else {
                        continue;
                    };
                    let made = self.made_instance(pt, o, 0);
                    let receiver = made.as_ref().map(|(f, i)| (*f, &**i));
                    self.classify(file, api, args, receiver, Some((cf, c)), out);
                }
                _ => {}
            }
        }
    }

    /// A callable handed to a pool or a subinterpreter that the summaries cannot name (a
    /// parameter's method, `self.runner.run` set in another method, an element of a dict):
    /// the project functions and the known API the value flow brings to the argument, as
    /// the handoff's `targets` and `known`.
    fn hand_off_by_flow(&self, file: FileId, range: TextRange, effect: &mut Effect) {
        let Effect::Handoff {
            api,
            to: HandoffKind::PooledThread | HandoffKind::Subinterpreter,
            targets,
            known,
        } = effect
        else {
            return;
        };
        if known.is_some() || !targets.is_empty() {
            return;
        }
        let Some(spec) = self.knowledge.get(api).and_then(|a| a.target.as_ref()) else {
            return;
        };
        let pt = self.points_to();
        for o in pt.arguments(file, range, spec.position, spec.keyword.as_deref()) {
            let func = match pt.object(o) {
                Obj::Bound { func, .. } => pt.object(*func),
                other => other,
            };
            match func {
                Obj::Function(f, scope) => {
                    let summary = self.summary(*f);
                    if let Some(func) = summary
                        .flow
                        .scopes
                        .get(*scope as usize)
                        .and_then(|s| summary.function_by_qualname(&s.qualname))
                    {
                        let f = FnRef { file: *f, func };
                        if !targets.contains(&f) {
                            targets.push(f);
                        }
                    }
                }
                // `concurrent.interpreters.Interpreter.exec`, or a method named through an
                // alias of its class.
                Obj::External(name) if known.is_none() => {
                    let api = self.knowledge.get(name).or_else(|| {
                        let (class, method) = name.rsplit_once('.')?;
                        let class = self.known_class_of(class)?;
                        self.knowledge.get_member(&class.name, method)
                    });
                    *known = api.map(|a| Box::new(a.name.clone()));
                }
                _ => {}
            }
        }
    }

    /// The instance the summaries saw made where the value flow's object `o` was made: by
    /// the call at its allocation site. A library object made by a method called on an
    /// object the summaries could not name (the future of `ex.submit(f)` for a parameter
    /// `ex`) is, as such results are in the summaries, an instance with the handle and start
    /// method of the object the method was called on.
    fn made_instance(
        &self,
        pt: &PointsTo,
        o: ObjId,
        depth: usize,
    ) -> Option<(FileId, std::sync::Arc<Instance>)> {
        let (name, file, site) = match pt.object(o) {
            Obj::ExtInstance { name, file, site } => (Some(name), *file, *site),
            Obj::Instance { file, site, .. } => (None, *file, *site),
            _ => return None,
        };
        let summary = self.files.get(file.0 as usize)?;
        let range = *summary.summary.flow.sites.get(site as usize)?;
        if let Some(inst) = summary.summary.made_at(range) {
            return Some((file, inst.clone()));
        }
        let name = name?;
        if depth >= MAX_MADE_DEPTH {
            return None;
        }
        pt.receivers(file, range).into_iter().find_map(|r| {
            let (f, recv) = self.made_instance(pt, r, depth + 1)?;
            let inst = Instance {
                class: name.clone(),
                ctor: None,
                handle: recv.handle,
                daemon: None,
                start_method: recv.start_method.clone(),
            };
            Some((f, std::sync::Arc::new(inst)))
        })
    }

    /// Calling a project class runs its `__init__` (found through its bases).
    fn construct(
        &self,
        site: FileId,
        file: FileId,
        class: ClassIdx,
        args: &CallArgs,
        out: &mut dyn FnMut(Classified),
    ) {
        match self.lookup_method(file, class, "__init__") {
            MethodTarget::Project(f) => out(Classified::Call(f, Some(CallBinding::Bound))),
            _ => {
                // A subclass of a known class without its own `__init__`: the known
                // constructor's effects (a `multiprocessing.Pool` subclass starts threads).
                match self.known_base(file, class) {
                    Some(api) if api.kind == ApiKind::Class => {
                        self.classify(site, api, args, None, Some((file, class)), out)
                    }
                    _ => {}
                }
            }
        }
    }

    /// A method called on `receiver`, an instance made in file `origin`, by a call written in
    /// file `site`.
    fn method_call(
        &self,
        site: FileId,
        origin: FileId,
        receiver: &Instance,
        method: &str,
        args: &CallArgs,
        out: &mut dyn FnMut(Classified),
    ) {
        match self.resolve_qual(&receiver.class) {
            Target::Known(class_api) => {
                if let Some(api) = self.knowledge.get_member(&class_api.name, method) {
                    self.classify(site, api, args, Some((origin, receiver)), None, out);
                }
            }
            Target::Class(f2, c2) => match self.lookup_method(f2, c2, method) {
                MethodTarget::Project(f) => out(Classified::Call(f, Some(CallBinding::Bound))),
                MethodTarget::Known(api) => self.classify(
                    site,
                    api,
                    args,
                    Some((origin, receiver)),
                    Some((f2, c2)),
                    out,
                ),
                MethodTarget::None => {}
            },
            // `t = make_thread(); t.join()`: the object the function returns.
            Target::Function(f) => match &self.summary(f.file).functions[f.func as usize].returns {
                Some(inst) if inst.class != receiver.class => {
                    self.method_call(site, f.file, inst, method, args, out)
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// Turns a call of a known API into effects. `receiver` is the instance a method is called
    /// on; `subclass` the project class that inherits the API (a `Thread` subclass).
    /// `site` is the file the call is written in (where its argument values come from).
    fn classify(
        &self,
        site: FileId,
        api: &Api,
        args: &CallArgs,
        receiver: Option<(FileId, &Instance)>,
        subclass: Option<(FileId, ClassIdx)>,
        out: &mut dyn FnMut(Classified),
    ) {
        if let Some(unless) = &api.unless
            && matches!(args.get(None, Some(&unless.keyword)), Some(Value::Bool(b)) if *b == unless.value)
        {
            return;
        }
        // `selective` (eventlet's `monkey_patch`): some keyword passed `True` selects only
        // the keywords passed `True`.
        if api.selective
            && let Some(unless) = &api.unless
            && args.keywords.iter().any(|(_, v)| *v == Value::Bool(true))
            && !matches!(
                args.get(None, Some(&unless.keyword)),
                Some(Value::Bool(true))
            )
        {
            return;
        }
        // `requires`: the effects happen only when the keyword is passed with that literal
        // (`DataLoader(persistent_workers=True)`); absent or any other value, they do not.
        if let Some(requires) = &api.requires
            && !matches!(args.get(None, Some(&requires.keyword)), Some(Value::Bool(b)) if *b == requires.value)
        {
            return;
        }
        // The class whose constructor the receiver came from (for its target/daemon specs).
        let class_api = receiver.and_then(|(_, r)| self.known_class_of(&r.class));
        for kind in &api.effects {
            if *kind == EffectKind::CallsTarget {
                for f in self.targets_of(api, args, site, receiver, class_api) {
                    out(Classified::Call(f, None));
                }
                continue;
            }
            let effect = match kind {
                EffectKind::ThreadStart => {
                    let daemon = arg_bool(args, api.daemon.as_ref())
                        .or_else(|| receiver.and_then(|(_, r)| r.daemon))
                        .or_else(|| {
                            receiver.and_then(|(_, r)| {
                                arg_bool(r.ctor_args(), class_api.and_then(|c| c.daemon.as_ref()))
                            })
                        })
                        .or_else(|| subclass.and_then(|(f, c)| self.class_daemon(f, c)))
                        .or(api.daemon_default)
                        .or_else(|| class_api.and_then(|c| c.daemon_default));
                    let mut targets = self.targets_of(api, args, site, receiver, class_api);
                    if targets.is_empty()
                        && let Some((f, c)) = subclass
                        && let Some(run) = class_api
                            .and_then(|a| a.run_method.as_deref())
                            .or(Some("run"))
                        && let MethodTarget::Project(t) = self.lookup_method(f, c, run)
                    {
                        targets.push(t);
                    }
                    let known_target = api
                        .target
                        .as_ref()
                        .and_then(|s| args.get(s.position, s.keyword.as_deref()))
                        .or_else(|| {
                            let (_, r) = receiver?;
                            let spec = class_api?.target.as_ref()?;
                            r.ctor_args().get(spec.position, spec.keyword.as_deref())
                        })
                        .and_then(|v| self.known_callable(v))
                        .map(Box::new);
                    Effect::ThreadStart {
                        api: api.name.clone(),
                        daemon,
                        targets,
                        handle: receiver.map(|(f, r)| (f, r.handle)),
                        pooled: api.pooled,
                        // A thread an installed dependency's own code starts is the
                        // library's, as one its knowledge entry describes (FL202).
                        library: api.library || self.file(site).library,
                        lazy: api.lazy,
                        known_target,
                    }
                }
                EffectKind::ThreadWait => Effect::ThreadWait {
                    api: api.name.clone(),
                    handle: receiver.map(|(f, r)| (f, r.handle)),
                    bounded: api.timeout.as_ref().is_some_and(|t| {
                        args.get(t.position, t.keyword.as_deref())
                            .is_some_and(|v| *v != Value::None)
                    }),
                },
                EffectKind::SubinterpCreate
                | EffectKind::SubinterpRun
                | EffectKind::SubinterpDestroy
                | EffectKind::SubinterpIsRunning => {
                    let op = match kind {
                        EffectKind::SubinterpCreate => SubiOp::Create,
                        EffectKind::SubinterpRun => SubiOp::Run,
                        EffectKind::SubinterpDestroy => SubiOp::Destroy,
                        _ => SubiOp::IsRunning,
                    };
                    let arg = |spec: Option<&crate::knowledge::ArgSpec>| {
                        spec.and_then(|s| args.get(s.position, s.keyword.as_deref()))
                    };
                    let legacy = matches!(arg(api.config_arg.as_ref()), Some(Value::Str(s)) if s.as_str() == "legacy")
                        || matches!(arg(api.isolated_arg.as_ref()), Some(Value::Bool(false)));
                    let targets = if op == SubiOp::Run {
                        self.targets_of(api, args, site, receiver, class_api)
                    } else {
                        Vec::new()
                    };
                    Effect::Subinterp {
                        api: api.name.clone(),
                        op,
                        targets,
                        legacy,
                    }
                }
                EffectKind::AtexitRegister | EffectKind::ShutdownRegister => Effect::Handoff {
                    api: api.name.clone(),
                    to: if *kind == EffectKind::AtexitRegister {
                        HandoffKind::AtExit
                    } else {
                        HandoffKind::ThreadingShutdown
                    },
                    targets: self.targets_of(api, args, site, receiver, class_api),
                    known: None,
                },
                // Keyword-only in CPython: `register_at_fork(*, before, after_in_child,
                // after_in_parent)`.
                EffectKind::AtForkRegister => {
                    let given = |keyword: &str| {
                        args.get(None, Some(keyword)).filter(|v| **v != Value::None)
                    };
                    Effect::AtFork {
                        api: api.name.clone(),
                        before: given("before")
                            .map(|v| self.callable_targets(site, v))
                            .unwrap_or_default(),
                        after_in_child: given("after_in_child").is_some(),
                    }
                }
                EffectKind::EventSet | EffectKind::EventCheck => Effect::EventOp {
                    set: *kind == EffectKind::EventSet,
                    handle: receiver.map(|(f, r)| (f, r.handle)),
                },
                EffectKind::ProcessSpawn => {
                    let explicit = receiver
                        .and_then(|(_, r)| r.start_method.as_deref())
                        .or_else(|| match args.get(None, Some("mp_context")) {
                            Some(Value::Instance(ctx)) => ctx.start_method.as_deref(),
                            _ => None,
                        })
                        .map_or_else(MethodSet::default, |m| MethodSet::named(Some(m)));
                    let preexec_fn =
                        matches!(args.get(None, Some("preexec_fn")), Some(v) if *v != Value::None);
                    let kind = api.spawn.unwrap_or(SpawnKind::Exec);
                    let targets = if kind == SpawnKind::Exec {
                        Vec::new()
                    } else {
                        self.targets_of(api, args, site, receiver, class_api)
                    };
                    Effect::ProcessSpawn {
                        api: api.name.clone(),
                        kind,
                        start_method: explicit,
                        preexec_fn,
                        handle: receiver.map(|(f, r)| (f, r.handle)),
                        targets,
                    }
                }
                EffectKind::GetContext => Effect::GetContext {
                    method: literal_method(api, args),
                },
                EffectKind::LockAcquire | EffectKind::LockRelease => Effect::Lock {
                    acquire: *kind == EffectKind::LockAcquire,
                    handle: receiver.map(|(f, r)| (f, r.handle)),
                },
                EffectKind::SetStartMethod => Effect::SetStartMethod {
                    method: literal_method(api, args),
                },
                other => Effect::Other {
                    api: api.name.clone(),
                    kind: *other,
                },
            };
            out(Classified::Effect(effect));
        }
        // The callable handed to a pooled thread or a subinterpreter, whatever else the
        // call does (FL301, FL304, FL306, FL308).
        for (applies, to) in [
            (api.pooled, HandoffKind::PooledThread),
            (api.subinterp_target, HandoffKind::Subinterpreter),
        ] {
            if !applies {
                continue;
            }
            let Some(spec) = &api.target else { continue };
            let value = args.get(spec.position, spec.keyword.as_deref());
            out(Classified::Effect(Effect::Handoff {
                api: api.name.clone(),
                to,
                targets: self.targets_of(api, args, site, receiver, class_api),
                known: value.and_then(|v| self.known_callable(v)).map(Box::new),
            }));
        }
    }

    /// The knowledge-base name of a known API given as a value (`_interpreters.exec`,
    /// `partial(interp.exec, code)`, `t.join`).
    fn known_callable(&self, value: &Value) -> Option<String> {
        match value {
            Value::Qual(q) => match self.resolve_qual(q) {
                Target::Known(api) => Some(api.name.clone()),
                _ => None,
            },
            Value::Partial(inner) => self.known_callable(inner),
            Value::BoundMethod { receiver, method } => {
                let class = self.known_class_of(&receiver.class)?;
                self.knowledge
                    .get_member(&class.name, method)
                    .map(|a| a.name.clone())
            }
            _ => None,
        }
    }

    /// What a started thread or process runs: the callable passed to the call (by the API's
    /// `target` spec, named in `site`, the file of the call), else the one its receiver was
    /// constructed with (named in the file that constructed it).
    fn targets_of(
        &self,
        api: &Api,
        args: &CallArgs,
        site: FileId,
        receiver: Option<(FileId, &Instance)>,
        class_api: Option<&Api>,
    ) -> Vec<FnRef> {
        if let Some(spec) = &api.target
            && let Some(v) = args.get(spec.position, spec.keyword.as_deref())
        {
            let targets = self.callable_targets(site, v);
            if !targets.is_empty() {
                return targets;
            }
        }
        if let (Some((f, r)), Some(class_api)) = (receiver, class_api)
            && let Some(spec) = &class_api.target
            && let Some(v) = r.ctor_args().get(spec.position, spec.keyword.as_deref())
        {
            return self.callable_targets(f, v);
        }
        Vec::new()
    }

    pub(super) fn known_class_of(&self, class: &str) -> Option<&Api> {
        match self.resolve_qual(class) {
            Target::Known(api) if api.kind == ApiKind::Class => Some(api),
            Target::Class(f, c) => self.known_base(f, c),
            _ => None,
        }
    }
}

enum Classified {
    /// A call of project code, and how these arguments meet its parameters (`None`: they
    /// are not the ones it gets, as for a thread's target).
    Call(FnRef, Option<CallBinding>),
    Effect(Effect),
}

/// The start method named by a literal at a `get_context`/`set_start_method` call; empty
/// when the argument is not a literal (the value flow may still tell).
fn literal_method(api: &Api, args: &CallArgs) -> MethodSet {
    let name = api
        .method_arg
        .as_ref()
        .and_then(|m| args.get(m.position, m.keyword.as_deref()))
        .and_then(Value::as_str);
    name.map_or_else(MethodSet::default, |n| MethodSet::named(Some(n)))
}

fn arg_bool(args: &CallArgs, spec: Option<&crate::knowledge::ArgSpec>) -> Option<bool> {
    let spec = spec?;
    match args.get(spec.position, spec.keyword.as_deref()) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}
