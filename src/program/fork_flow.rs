//! The may-be-multithreaded flow (RULES.md §0.2): along each body's ordered events, which
//! threads may already be running and which `multiprocessing` start method is in force, on
//! each (version, platform) cell; and the fork sinks reached in that state.
//!
//! Function summaries are built callees first (over the call graph's strongly connected
//! components) and say, in order: the fork sinks a call reaches (with the threads and start
//! method known at each), the threads a call leaves running, and the start method it sets.
//! A caller composes them at each call: a sink its callee reaches before any thread of the
//! callee's own fires if the *caller* already has threads. Findings are read at the roots: every
//! module body, every function no other code calls, and every thread target (which runs on a
//! thread, so the process is multithreaded from its first line).
//!
//! Order is what the unordered reach lists of `reach.rs` cannot give: a fork before the first
//! thread start is fine (RULES.md §2 trap 1).

use ruff_text_size::TextRange;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::diagnostic::FileId;
use crate::knowledge::SpawnKind;
use crate::settings::{Platform, PythonVersion, StartMethod};
use crate::summary::Handle;

use super::effects::{Body, Effect, EffectId, EventFlags, Resolved};
use super::reach;
use super::resolve::FnRef;
use super::start_methods::MethodSet;
use super::{Context, ObjId, Program};

/// A set of (version, platform) cells, one bit each: at most 7 versions × 3 platforms.
pub type Cells = u32;

/// The configured (version, platform) cells, in a fixed order.
#[derive(Debug)]
pub struct CellGrid {
    pub cells: Vec<(PythonVersion, Platform)>,
}

impl CellGrid {
    pub fn new(versions: &[PythonVersion], platforms: &[Platform]) -> Self {
        let mut cells = Vec::new();
        for &p in platforms {
            for &v in versions {
                if cells.len() < Cells::BITS as usize && !cells.contains(&(v, p)) {
                    cells.push((v, p));
                }
            }
        }
        Self { cells }
    }

    fn select(&self, pred: impl Fn(PythonVersion, Platform) -> bool) -> Cells {
        self.cells
            .iter()
            .enumerate()
            .filter(|(_, (v, p))| pred(*v, *p))
            .fold(0, |m, (i, _)| m | (1 << i))
    }

    pub fn all(&self) -> Cells {
        self.select(|_, _| true)
    }

    /// The cells of the platforms in `bits` ([`Platform::bit`]).
    pub fn on_platforms(&self, bits: u8) -> Cells {
        self.select(|_, p| bits & p.bit() != 0)
    }

    /// Where `os.fork` exists.
    pub fn posix(&self) -> Cells {
        self.select(|_, p| p.is_posix())
    }

    /// Where `method` is the default start method (RULES.md §0.3).
    pub fn where_default(&self, method: StartMethod) -> Cells {
        self.select(|v, p| StartMethod::default_for(v, p) == method)
    }

    /// The distinct default start methods of `cells`.
    pub fn defaults_of(&self, cells: Cells) -> Vec<StartMethod> {
        let mut out = Vec::new();
        for (i, (v, p)) in self.cells.iter().enumerate() {
            let m = StartMethod::default_for(*v, *p);
            if cells & (1 << i) != 0 && !out.contains(&m) {
                out.push(m);
            }
        }
        out
    }

    /// `Linux with Python 3.8–3.13 and macOS with Python 3.8`: the cells, by platform, with
    /// runs of consecutive configured versions joined.
    pub fn describe(&self, cells: Cells) -> String {
        let mut parts = Vec::new();
        for platform in Platform::ALL {
            let versions: Vec<(usize, PythonVersion)> = self
                .cells
                .iter()
                .enumerate()
                .filter(|(_, (_, p))| *p == platform)
                .map(|(i, (v, _))| (i, *v))
                .collect();
            let mut runs: Vec<String> = Vec::new();
            let mut run: Option<(PythonVersion, PythonVersion)> = None;
            for (i, v) in &versions {
                if cells & (1 << i) != 0 {
                    run = Some(run.map_or((*v, *v), |(lo, _)| (lo, *v)));
                } else if let Some((lo, hi)) = run.take() {
                    runs.push(version_run(lo, hi));
                }
            }
            if let Some((lo, hi)) = run {
                runs.push(version_run(lo, hi));
            }
            if !runs.is_empty() {
                parts.push(format!("{platform} with Python {}", runs.join(", ")));
            }
        }
        parts.join(" and ")
    }
}

fn version_run(lo: PythonVersion, hi: PythonVersion) -> String {
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}–{hi}")
    }
}

/// The start method set process-wide (`set_start_method`) on some cells.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Methods {
    /// Cells where a method was set.
    pub set: Cells,
    /// Of those, where it is fork / forkserver (the rest: spawn).
    pub fork: Cells,
    pub forkserver: Cells,
}

impl Methods {
    /// `set_start_method(m)` where `m` may be any of `methods` (none the method in force:
    /// see [`MethodSet`]): on `cells`, fork and forkserver where they may be set.
    fn apply(&mut self, cells: Cells, methods: MethodSet) {
        self.set |= cells;
        self.fork &= !cells;
        self.forkserver &= !cells;
        if methods.may_choose(StartMethod::Fork) {
            self.fork |= cells;
        }
        if methods.may_choose(StartMethod::Forkserver) {
            self.forkserver |= cells;
        }
    }

    /// `self`, then `later` (which wins where it sets a method).
    fn then(self, later: Methods) -> Methods {
        Methods {
            set: self.set | later.set,
            fork: (self.fork & !later.set) | later.fork,
            forkserver: (self.forkserver & !later.set) | later.forkserver,
        }
    }

    fn restricted(self, cells: Cells) -> Methods {
        Methods {
            set: self.set & cells,
            fork: self.fork & cells,
            forkserver: self.forkserver & cells,
        }
    }
}

/// How a thread came to be running at a point of some body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// Started by the event itself.
    Direct,
    /// Left running by the function the event calls.
    Call(FnRef),
    /// Started while importing this module.
    Import(FileId),
    /// The body runs as the target of this thread start.
    Target,
}

/// Where the first thread that may be running came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadSource {
    /// The thread start.
    pub effect: EffectId,
    /// The event through which the thread came, in `body`.
    pub body: Body,
    pub range: TextRange,
    pub via: Via,
    /// The start is on every path to where it is read.
    pub definite: bool,
}

#[derive(Clone, Copy, Debug)]
struct Running {
    /// The thread or pool object, for a later `join`/`shutdown` of the same object.
    handle: Option<(FileId, Handle)>,
    cells: Cells,
    library: bool,
    src: ThreadSource,
}

/// The threads that may be running, from project code and from libraries.
#[derive(Clone, Copy, Debug, Default)]
struct Threads {
    project: Cells,
    project_src: Option<ThreadSource>,
    library: Cells,
    library_src: Option<ThreadSource>,
}

impl Threads {
    fn add(&mut self, cells: Cells, library: bool, src: ThreadSource) {
        if cells == 0 {
            return;
        }
        let (mask, first) = if library {
            (&mut self.library, &mut self.library_src)
        } else {
            (&mut self.project, &mut self.project_src)
        };
        *mask |= cells;
        first.get_or_insert(src);
    }

    fn union(&mut self, other: &Threads) {
        if let Some(src) = other.project_src {
            self.add(other.project, false, src);
        }
        if let Some(src) = other.library_src {
            self.add(other.library, true, src);
        }
    }
}

/// A fork sink reached from a body, in the state known there.
#[derive(Clone, Debug)]
struct SinkItem {
    effect: EffectId,
    /// Cells the sink can run in (platform tests on the way).
    cells: Cells,
    /// Threads that may be running at the sink.
    threads: Threads,
    /// Start method set on the way, before the sink.
    methods: Methods,
    /// On every path of every body on the way.
    definite: bool,
    /// The call of this body through which the sink is reached (`None`: in the body).
    call: Option<(TextRange, FnRef)>,
    /// Reached from the `__main__` flow of a module body with a main guard (FL208).
    in_main_guard: bool,
}

/// What calling a function does, in the order that matters for forking.
#[derive(Clone, Debug, Default)]
struct FnFlow {
    items: Vec<SinkItem>,
    /// Threads still running when it returns.
    leaves: Threads,
    methods: Methods,
}

/// A thread a module's import starts and leaves running.
#[derive(Clone, Copy, Debug)]
pub struct ImportThread {
    pub effect: EffectId,
    pub library: bool,
    /// The project module this file imports on the way (`None`: this file's own top level
    /// starts it).
    pub through: Option<FileId>,
}

/// A fork sink and everything found about it, over all the flows that reach it.
#[derive(Clone, Debug)]
pub struct SinkReport {
    pub effect: EffectId,
    /// The first root that reaches it and the call there (for the flow shown in a finding).
    pub root: Body,
    pub call: Option<(TextRange, FnRef)>,
    /// Cells where the sink forks the process (`os.fork`, a fork start method); for a
    /// `preexec_fn` spawn, where it runs Python in the child.
    pub fork: Cells,
    pub forkserver: Cells,
    /// Cells where a multiprocessing start relies on the default start method.
    pub by_default: Cells,
    /// Threads that may be running at the sink (cells from every flow, first source).
    pub project: Cells,
    pub project_src: Option<ThreadSource>,
    pub library: Cells,
    pub library_src: Option<ThreadSource>,
    pub definite: bool,
    /// FL208: forkserver cells where the entry's top level outside the guard leaves a thread
    /// running, with the entry file and that thread.
    pub preload: Cells,
    pub preload_src: Option<(FileId, ThreadSource)>,
}

pub struct ForkFlow {
    pub grid: CellGrid,
    import_threads: Vec<Option<ImportThread>>,
    /// Thread starts whose thread is never running at a fork ([`quiesced_before_fork`]).
    quiesced: HashSet<EffectId>,
    /// Every fork sink reached from some root, by effect id.
    pub sinks: Vec<SinkReport>,
}

impl ForkFlow {
    /// A thread that importing `file` starts and leaves running, if any.
    pub fn import_thread(&self, file: FileId) -> Option<ImportThread> {
        self.import_threads.get(file.0 as usize).copied().flatten()
    }

    /// Whether the thread of this start is never running at a fork: a hook joins it before
    /// every fork, its library stops it itself (`fork-safe`), or it is a green thread.
    pub fn quiesced(&self, start: EffectId) -> bool {
        self.quiesced.contains(&start)
    }

    pub fn compute(program: &Program) -> ForkFlow {
        let grid = CellGrid::new(
            &program.settings.target_versions,
            &program.settings.platforms,
        );
        let quiesced = quiesced_before_fork(program);
        let import_threads = import_threads(program, &quiesced);
        let mut builder = Builder {
            program,
            grid: &grid,
            import_threads: &import_threads,
            quiesced: &quiesced,
            reports: HashMap::default(),
            pruning_depth: std::cell::Cell::new(0),
        };
        // The flow of every function is composed only to say what reaches a fork sink: a
        // project with none (most libraries) needs none of it, and composing it is the
        // costliest step on a large, connected program (sympy: minutes).
        if program
            .effects
            .iter()
            .any(|site| sink_kind(&site.effect).is_some())
        {
            builder.run();
        }
        let mut sinks: Vec<SinkReport> = builder.reports.into_values().collect();
        sinks.sort_by_key(|s| s.effect);
        ForkFlow {
            grid,
            import_threads,
            quiesced,
            sinks,
        }
    }
}

/// Whether an effect is a fork sink (RULES.md §2): a fork, a multiprocessing start, or a
/// spawn with `preexec_fn` (Python runs in the child before exec).
fn sink_kind(effect: &Effect) -> Option<SpawnKind> {
    match effect {
        Effect::ProcessSpawn {
            kind: kind @ (SpawnKind::Fork | SpawnKind::Multiprocessing),
            ..
        } => Some(*kind),
        Effect::ProcessSpawn {
            kind: SpawnKind::Exec,
            preexec_fn: true,
            ..
        } => Some(SpawnKind::Exec),
        _ => None,
    }
}

/// Per file, a thread its import starts and leaves running: its own top level (outside a
/// `__main__` guard) reaches a thread start, or it imports a module whose import does.
/// Propagated from the starting modules to their importers, breadth first, so the chain
/// shown is a shortest one.
fn import_threads(program: &Program, quiesced: &HashSet<EffectId>) -> Vec<Option<ImportThread>> {
    let n = program.files.len();
    let mut out: Vec<Option<ImportThread>> = vec![None; n];
    let mut importers: Vec<Vec<FileId>> = vec![Vec::new(); n];
    let mut queue = std::collections::VecDeque::new();
    for file in program.file_ids() {
        for (i, event) in program.summary(file).body.iter().enumerate() {
            if event.in_main_guard {
                continue;
            }
            for (id, _) in program.event_effects(file, i) {
                match &program.effect(id).effect {
                    Effect::ThreadStart { library, .. }
                        if out[file.0 as usize].is_none() && !quiesced.contains(&id) =>
                    {
                        out[file.0 as usize] = Some(ImportThread {
                            effect: id,
                            library: *library,
                            through: None,
                        });
                        queue.push_back(file);
                    }
                    Effect::Import { modules, .. } => {
                        for m in modules {
                            if *m != file {
                                importers[m.0 as usize].push(file);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    while let Some(m) = queue.pop_front() {
        let Some(found) = out[m.0 as usize] else {
            continue;
        };
        for &importer in &importers[m.0 as usize] {
            if out[importer.0 as usize].is_none() {
                out[importer.0 as usize] = Some(ImportThread {
                    through: Some(m),
                    ..found
                });
                queue.push_back(importer);
            }
        }
    }
    out
}

/// Thread starts whose thread a `register_at_fork(before=...)` hook joins: the hook runs
/// in the parent before every fork, so the thread is never running at one (gunicorn's
/// control-socket server stops and joins its thread there, and restarts it after). The
/// same holds for a library whose knowledge entry says it does this itself (`fork-safe`:
/// ddtrace, DogStatsd), whose hook the analysis cannot see; and for a green thread (a
/// greenlet after gevent's or eventlet's monkey-patching, `green.rs`), which is no OS
/// thread: the child keeps it, and it releases what it holds.
fn quiesced_before_fork(program: &Program) -> HashSet<EffectId> {
    let mut fork_safe: HashSet<EffectId> = program
        .effects
        .iter()
        .enumerate()
        .filter(|(_, site)| {
            matches!(&site.effect, Effect::ThreadStart { api, .. }
                if program.knowledge.get(api).is_some_and(|a| a.fork_safe))
        })
        .map(|(i, _)| EffectId(i as u32))
        .collect();
    fork_safe.extend(program.green_starts().iter().copied());
    let mut joined = HashSet::default();
    for site in &program.effects {
        let Effect::AtFork { before, .. } = &site.effect else {
            continue;
        };
        for &hook in before {
            for &id in program.reach(hook) {
                if let Effect::ThreadWait {
                    handle: Some(h), ..
                } = program.effect(id).effect
                {
                    joined.insert(h);
                }
            }
        }
    }
    if joined.is_empty() {
        return fork_safe;
    }
    program
        .effects
        .iter()
        .enumerate()
        .filter(|(_, site)| {
            matches!(site.effect, Effect::ThreadStart { handle: Some(h), .. } if joined.contains(&h))
        })
        .map(|(i, _)| EffectId(i as u32))
        .chain(fork_safe)
        .collect()
}

struct Builder<'p> {
    program: &'p Program,
    grid: &'p CellGrid,
    import_threads: &'p [Option<ImportThread>],
    quiesced: &'p HashSet<EffectId>,
    reports: HashMap<EffectId, SinkReport>,
    /// How many calls that skip guarded events are being followed, one inside another
    /// (see [`Builder::call_flow`]).
    pruning_depth: std::cell::Cell<u32>,
}

/// How many calls that skip guarded events of their callee are followed one inside
/// another; past it a call composes its callee's whole summary, which holds more (a cycle
/// of such calls would otherwise never end).
const MAX_PRUNING_DEPTH: u32 = 8;

/// The state along one body's flow.
struct State {
    running: Vec<Running>,
    methods: Methods,
    items: Vec<SinkItem>,
    /// Threads left by the top level before its `__main__` guard (module bodies only).
    before_guard: Option<Threads>,
}

impl State {
    fn threads(&self, except: Option<(FileId, Handle)>) -> Threads {
        let mut t = Threads::default();
        for r in &self.running {
            if except.is_some() && r.handle == except {
                continue;
            }
            t.add(r.cells, r.library, r.src);
        }
        t
    }

    fn push_item(&mut self, item: SinkItem) {
        if item.cells == 0 {
            return;
        }
        if let Some(old) = self.items.iter_mut().find(|i| i.effect == item.effect) {
            old.cells |= item.cells;
            old.threads.union(&item.threads);
            old.definite |= item.definite;
            old.in_main_guard |= item.in_main_guard;
        } else {
            self.items.push(item);
        }
    }
}

impl Builder<'_> {
    fn run(&mut self) {
        let program = self.program;
        // Number the functions as `reach.rs` does: file by file.
        let mut offsets = Vec::with_capacity(program.files.len());
        let mut fn_of = Vec::new();
        for (file, per_fn) in program.fn_events.iter().enumerate() {
            offsets.push(fn_of.len());
            for func in 0..per_fn.len() {
                fn_of.push(FnRef {
                    file: FileId(file as u32),
                    func: func as u32,
                });
            }
        }
        let total = fn_of.len();
        let node = |f: FnRef| offsets[f.file.0 as usize] + f.func as usize;
        let successor = |n: usize, i: usize| -> Option<Option<usize>> {
            let f = fn_of[n];
            program.fn_events[f.file.0 as usize]
                .all(f.func)
                .get(i)
                .map(|r| match r {
                    Resolved::Call(c) => Some(node(*c)),
                    Resolved::Effect(_) => None,
                })
        };
        let sccs = reach::tarjan(total, &successor);
        let mut comp_of = vec![0usize; total];
        for (c, members) in sccs.iter().enumerate() {
            for &m in members {
                comp_of[m] = c;
            }
        }
        // A function is a root when nothing outside its own component calls it.
        let mut called = vec![false; total];
        for n in 0..total {
            let f = fn_of[n];
            for r in program.fn_events[f.file.0 as usize].all(f.func) {
                if let Resolved::Call(c) = r {
                    let m = node(*c);
                    if comp_of[m] != comp_of[n] {
                        called[m] = true;
                    }
                }
            }
        }
        for per_file in &program.body_events {
            for r in per_file.all() {
                if let Resolved::Call(c) = r {
                    called[node(*c)] = true;
                }
            }
        }

        let mut flows: Vec<Option<Box<FnFlow>>> = vec![None; total];
        for members in sccs.iter() {
            let recursive = members.len() > 1 || {
                let f = fn_of[members[0]];
                program.fn_events[f.file.0 as usize]
                    .all(f.func)
                    .contains(&Resolved::Call(f))
            };
            // Within a cycle a call sees its callee's summary as far as it is known; a second
            // pass lets each member see the others' first.
            for _ in 0..if recursive { 2 } else { 1 } {
                for &m in members {
                    let f = fn_of[m];
                    let lookup = |g| flows[node(g)].as_deref();
                    let flow = self.function_flow(f, Vec::new(), &[], &lookup);
                    flows[m] = (!flow.items.is_empty()
                        || flow.leaves.project != 0
                        || flow.leaves.library != 0
                        || flow.methods.set != 0)
                        .then(|| Box::new(flow));
                }
            }
        }
        let lookup = |g: FnRef| flows[node(g)].as_deref();
        for n in 0..total {
            // Code strings run in a subinterpreter, where forking is refused outright (FL306
            // reports that): not a root of the main interpreter's flow.
            let in_code_string = |f: FnRef| {
                program.summary(f.file).functions[f.func as usize]
                    .qualname
                    .contains("<code string>")
            };
            if !called[n]
                && let Some(flow) = &flows[n]
                && !in_code_string(fn_of[n])
            {
                self.report(Body::Function(fn_of[n]), &flow.items, None);
            }
        }
        for file in program.file_ids() {
            let state = self.module_flow(file, &lookup);
            let guard = state.before_guard;
            self.report(Body::Module(file), &state.items, guard.map(|g| (file, g)));
        }
        // Thread targets run on a thread: the process is multithreaded from their first line.
        for (i, site) in program.effects.iter().enumerate() {
            let Effect::ThreadStart {
                api,
                targets,
                library,
                ..
            } = &site.effect
            else {
                continue;
            };
            // A process pool's "target" runs in the child process, not on a thread.
            if targets.is_empty()
                || program
                    .knowledge
                    .get(api)
                    .is_some_and(|a| a.spawn.is_some())
            {
                continue;
            }
            let src = ThreadSource {
                effect: EffectId(i as u32),
                body: site.body,
                range: site.range,
                via: Via::Target,
                definite: true,
            };
            for &t in targets {
                let start = vec![Running {
                    handle: None,
                    cells: self.grid.all(),
                    library: *library,
                    src,
                }];
                let flow = self.function_flow(t, start, &[], &lookup);
                self.report(Body::Function(t), &flow.items, None);
            }
        }
    }

    /// Drops the threads of `state` that a join, `shutdown()` or stop reached by the call of
    /// `callee` at event `index` of `body` covers: `s.stop()` that joins `self._t`, or
    /// `stop_all(threads)` that joins each, ends those threads before a later fork. Forks
    /// inside the callee keep the caller's threads (the order within a callee is not kept).
    fn remove_joined_by_call(&self, state: &mut State, body: Body, index: usize, callee: FnRef) {
        if state.running.is_empty() {
            return;
        }
        let program = self.program;
        let waits: Vec<EffectId> = program
            .call_reach(body, index, callee)
            .iter()
            .copied()
            .filter(|&id| matches!(program.effect(id).effect, Effect::ThreadWait { .. }))
            .collect();
        if waits.is_empty() {
            return;
        }
        let handles: HashSet<(FileId, Handle)> = waits
            .iter()
            .filter_map(|&id| match program.effect(id).effect {
                Effect::ThreadWait { handle, .. } => handle,
                _ => None,
            })
            .collect();
        state
            .running
            .retain(|r| !r.handle.is_some_and(|h| handles.contains(&h)));
        self.remove_joined(state, &waits);
    }

    /// Drops the threads of `state` whose every object (the value flow's, at their start)
    /// is one that the waits `waits` act on. As with a join by handle, a conditional wait
    /// counts: a missed hazard is better than a false alarm here.
    fn remove_joined(&self, state: &mut State, waits: &[EffectId]) {
        if state.running.is_empty() || waits.is_empty() {
            return;
        }
        let program = self.program;
        let waited: HashSet<ObjId> = waits
            .iter()
            .flat_map(|&id| program.effect_objects(id))
            .collect();
        if waited.is_empty() {
            return;
        }
        let pt = program.points_to();
        // A thread left running by a call stands for the first thread that call left (see
        // [`Threads`]): it is dropped when that one is joined.
        state.running.retain(|r| {
            let started = program.effect_objects(r.src.effect);
            started.is_empty()
                || !started
                    .iter()
                    .all(|o| pt.is_one_site(*o) && waited.contains(o))
        });
    }

    /// One function's summary, from `running` at its entry (empty for a summary), without
    /// the `skipped` ranges of its events (guarded events a call certainly skips).
    fn function_flow<'f>(
        &self,
        f: FnRef,
        running: Vec<Running>,
        skipped: &[std::ops::Range<u32>],
        lookup: &dyn Fn(FnRef) -> Option<&'f FnFlow>,
    ) -> FnFlow {
        let program = self.program;
        let mut state = State {
            running,
            methods: Methods::default(),
            items: Vec::new(),
            before_guard: None,
        };
        let body = Body::Function(f);
        let events = program.fn_events[f.file.0 as usize].with_flags(f.func);
        for (i, (range, flags, resolved)) in events.enumerate() {
            if skipped.iter().any(|r| r.contains(&(i as u32))) {
                continue;
            }
            let at = (body, i, range);
            self.event(&mut state, at, flags, false, resolved, lookup);
        }
        let mut leaves = Threads::default();
        for r in &state.running {
            leaves.add(r.cells, r.library, r.src);
        }
        FnFlow {
            items: state.items,
            leaves,
            methods: state.methods,
        }
    }

    /// The summary of `callee` as the call at event `index` of `body` runs it, when that
    /// call certainly skips guarded events of it (`None`: the callee's own summary holds).
    fn call_flow<'f>(
        &self,
        body: Body,
        index: usize,
        callee: FnRef,
        lookup: &dyn Fn(FnRef) -> Option<&'f FnFlow>,
    ) -> Option<FnFlow> {
        let skipped = self.program.skipped_events(body, index, callee)?;
        let depth = self.pruning_depth.get();
        if depth >= MAX_PRUNING_DEPTH {
            return None;
        }
        self.pruning_depth.set(depth + 1);
        let flow = self.function_flow(callee, Vec::new(), skipped, lookup);
        self.pruning_depth.set(depth);
        Some(flow)
    }

    /// A module body's flow: its top level, then its `__main__` guard.
    fn module_flow<'f>(&self, file: FileId, lookup: &dyn Fn(FnRef) -> Option<&'f FnFlow>) -> State {
        let program = self.program;
        let summary = program.summary(file);
        let mut state = State {
            running: Vec::new(),
            methods: Methods::default(),
            items: Vec::new(),
            before_guard: None,
        };
        let body = Body::Module(file);
        let resolved = &program.body_events[file.0 as usize];
        for (i, event) in summary.body.iter().enumerate() {
            let main = program.context(file, event.in_main_guard) == Context::Main
                && summary.has_main_guard;
            if event.in_main_guard && state.before_guard.is_none() {
                state.before_guard = Some(state.threads(None));
            }
            self.event(
                &mut state,
                (body, i, event.range),
                EventFlags::of(event),
                main,
                resolved.get(i),
                lookup,
            );
        }
        state
    }

    /// Event number `index` of `body`, at `range` (`at`).
    fn event<'f>(
        &self,
        state: &mut State,
        at: (Body, usize, TextRange),
        flags: EventFlags,
        in_main_guard: bool,
        resolved: &[Resolved],
        lookup: &dyn Fn(FnRef) -> Option<&'f FnFlow>,
    ) {
        let program = self.program;
        let (body, index, range) = at;
        let cells = self.grid.on_platforms(flags.platforms());
        let certain = !flags.conditional();
        // Thread starts of an event come after its forks: `Pool()` forks its workers before
        // it starts its handler threads, and an executor's first `submit` launches its
        // workers before its manager thread (gh-90622).
        for pass in [false, true] {
            for r in resolved {
                match *r {
                    Resolved::Effect(id) => {
                        let effect = &program.effect(id).effect;
                        let is_start = matches!(effect, Effect::ThreadStart { .. });
                        if is_start != pass {
                            continue;
                        }
                        self.effect(state, body, range, cells, certain, in_main_guard, id);
                    }
                    Resolved::Call(f) if !pass => {
                        // Forks inside the callee see the threads running before the call;
                        // the joins it reaches end them for what follows it.
                        let here = state.threads(None);
                        self.remove_joined_by_call(state, body, index, f);
                        let pruned;
                        let callee = match self.call_flow(body, index, f, lookup) {
                            Some(flow) => {
                                pruned = flow;
                                &pruned
                            }
                            None => match lookup(f) {
                                Some(callee) => callee,
                                None => continue,
                            },
                        };
                        for item in &callee.items {
                            let mut threads = item.threads;
                            threads.union(&here);
                            state.push_item(SinkItem {
                                effect: item.effect,
                                cells: item.cells & cells,
                                threads,
                                methods: state.methods.then(item.methods),
                                definite: item.definite && certain,
                                call: Some((range, f)),
                                in_main_guard,
                            });
                        }
                        let src = |s: ThreadSource| ThreadSource {
                            body,
                            range,
                            via: Via::Call(f),
                            definite: s.definite && certain,
                            ..s
                        };
                        if let Some(s) = callee.leaves.project_src {
                            state.running.push(Running {
                                handle: None,
                                cells: callee.leaves.project & cells,
                                library: false,
                                src: src(s),
                            });
                        }
                        if let Some(s) = callee.leaves.library_src {
                            state.running.push(Running {
                                handle: None,
                                cells: callee.leaves.library & cells,
                                library: true,
                                src: src(s),
                            });
                        }
                        state.methods = state.methods.then(callee.methods.restricted(cells));
                    }
                    Resolved::Call(_) => {}
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn effect(
        &self,
        state: &mut State,
        body: Body,
        range: TextRange,
        cells: Cells,
        certain: bool,
        in_main_guard: bool,
        id: EffectId,
    ) {
        match &self.program.effect(id).effect {
            effect @ Effect::ProcessSpawn { handle, .. } if sink_kind(effect).is_some() => {
                // An executor's own manager thread does not make its later submits forks of
                // a threaded process: its workers were all launched at the first (gh-90622).
                let threads = state.threads(*handle);
                state.push_item(SinkItem {
                    effect: id,
                    cells,
                    threads,
                    methods: state.methods,
                    definite: certain,
                    call: None,
                    in_main_guard,
                });
            }
            Effect::ThreadStart { .. } if self.quiesced.contains(&id) => {}
            Effect::ThreadStart {
                handle, library, ..
            } => state.running.push(Running {
                handle: *handle,
                cells,
                library: *library,
                src: ThreadSource {
                    effect: id,
                    body,
                    range,
                    via: Via::Direct,
                    definite: certain,
                },
            }),
            // A join of the same object ends that thread (or pool). Even a conditional one:
            // it usually sits in the same branch as the start (`with ProcessPoolExecutor()`
            // under an `if`), and a missed hazard is better than a false alarm here.
            Effect::ThreadWait { handle, api, .. } => {
                if let Some(h) = handle {
                    state.running.retain(|r| r.handle != Some(*h));
                } else if let Some(module) = self.program.module_wait(api) {
                    // `rollbar.wait()`: a module's own wait function waits for the threads
                    // its module functions started (`rollbar.report_message`).
                    let program = self.program;
                    state.running.retain(|r| {
                        r.handle.is_some()
                            || !matches!(&program.effect(r.src.effect).effect,
                                Effect::ThreadStart { api, .. } if api.rsplit_once('.').is_some_and(|(m, _)| m == module))
                    });
                }
                self.remove_joined(state, &[id]);
            }
            // A value that may be none of the methods (not known) leaves the one in force.
            Effect::SetStartMethod { method } if certain && !method.may_use_in_force() => {
                state.methods.apply(cells, *method)
            }
            Effect::Import { modules, .. } => {
                for &m in modules {
                    if let Some(found) = self.import_threads.get(m.0 as usize).copied().flatten() {
                        state.running.push(Running {
                            handle: None,
                            cells,
                            library: found.library,
                            src: ThreadSource {
                                effect: found.effect,
                                body,
                                range,
                                via: Via::Import(m),
                                definite: certain,
                            },
                        });
                    }
                }
            }
            _ => {}
        }
    }

    /// Records what a root reaches: each sink resolved to the cells where it forks.
    fn report(&mut self, root: Body, items: &[SinkItem], guard: Option<(FileId, Threads)>) {
        let grid = self.grid;
        for item in items {
            let effect = &self.program.effect(item.effect).effect;
            let Some(kind) = sink_kind(effect) else {
                continue;
            };
            let posix = grid.posix() & item.cells;
            let (fork, forkserver, by_default) = match kind {
                SpawnKind::Fork | SpawnKind::Exec => (posix, 0, 0),
                SpawnKind::Multiprocessing => {
                    let chosen = match effect {
                        Effect::ProcessSpawn { start_method, .. } => *start_method,
                        _ => MethodSet::default(),
                    };
                    // Each method the start may use adds the cells where it forks: a method
                    // chosen at the call on every cell, the one in force where it is.
                    let (mut fork, mut forkserver, mut by_default) = (0, 0, 0);
                    if chosen.may_choose(StartMethod::Fork) {
                        fork |= posix;
                    }
                    if chosen.may_choose(StartMethod::Forkserver) {
                        forkserver |= posix;
                    }
                    if chosen.may_use_in_force() {
                        let m = item.methods;
                        let unset = item.cells & !m.set;
                        fork |= posix & (m.fork | (unset & grid.where_default(StartMethod::Fork)));
                        forkserver |= posix
                            & (m.forkserver
                                | (unset & grid.where_default(StartMethod::Forkserver)));
                        by_default = unset;
                    }
                    (fork, forkserver, by_default)
                }
            };
            let preload = match guard {
                Some((file, before)) if item.in_main_guard => {
                    let cells = forkserver & (before.project | before.library);
                    let src = before.project_src.or(before.library_src);
                    src.filter(|_| cells != 0).map(|s| (cells, (file, s)))
                }
                _ => None,
            };
            let t = &item.threads;
            let report = self
                .reports
                .entry(item.effect)
                .or_insert_with(|| SinkReport {
                    effect: item.effect,
                    root,
                    call: item.call,
                    fork: 0,
                    forkserver: 0,
                    by_default: 0,
                    project: 0,
                    project_src: None,
                    library: 0,
                    library_src: None,
                    definite: false,
                    preload: 0,
                    preload_src: None,
                });
            report.fork |= fork;
            report.forkserver |= forkserver;
            report.by_default |= by_default;
            if let Some(s) = t.project_src {
                report.project |= t.project & item.cells;
                report.project_src.get_or_insert(s);
            }
            if let Some(s) = t.library_src {
                report.library |= t.library & item.cells;
                report.library_src.get_or_insert(s);
            }
            let src_definite = t.project_src.or(t.library_src).is_some_and(|s| s.definite);
            report.definite |= item.definite && src_definite;
            if let Some((cells, src)) = preload {
                report.preload |= cells;
                report.preload_src.get_or_insert(src);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(minor: u8) -> PythonVersion {
        PythonVersion::new(3, minor)
    }

    #[test]
    fn grid_describes_runs_of_versions_per_platform() {
        let versions: Vec<_> = (8..=14).map(v).collect();
        let grid = CellGrid::new(&versions, &[Platform::Linux, Platform::Macos]);
        let fork = grid.where_default(StartMethod::Fork);
        assert_eq!(grid.describe(fork), "Linux with Python 3.8–3.13");
        assert_eq!(
            grid.describe(grid.where_default(StartMethod::Spawn)),
            "macOS with Python 3.8–3.14"
        );
        // A gap splits the run.
        let some = fork & !(1 << 2);
        assert_eq!(grid.describe(some), "Linux with Python 3.8–3.9, 3.11–3.13");
        assert_eq!(grid.posix(), grid.all());
        assert_eq!(
            grid.defaults_of(grid.on_platforms(Platform::Linux.bit())),
            vec![StartMethod::Fork, StartMethod::Forkserver]
        );
    }

    #[test]
    fn later_start_method_wins_where_it_is_set() {
        let mut first = Methods::default();
        first.apply(0b11, MethodSet::one(StartMethod::Fork));
        let mut later = Methods::default();
        later.apply(0b10, MethodSet::one(StartMethod::Spawn));
        let both = first.then(later);
        assert_eq!(both.set, 0b11);
        assert_eq!(both.fork, 0b01, "spawn replaced fork in cell 1 only");
        let mut server = Methods::default();
        server.apply(0b01, MethodSet::one(StartMethod::Forkserver));
        let all = both.then(server);
        assert_eq!((all.fork, all.forkserver), (0, 0b01));
        assert_eq!(all.restricted(0b10).set, 0b10);
    }

    #[test]
    fn a_start_method_that_may_be_fork_or_spawn_may_fork() {
        let mut methods = Methods::default();
        let either = MethodSet::one(StartMethod::Spawn).union(MethodSet::one(StartMethod::Fork));
        methods.apply(0b11, either);
        assert_eq!(
            (methods.set, methods.fork, methods.forkserver),
            (0b11, 0b11, 0)
        );
    }
}
