//! Effects propagated through the call graph to a fixpoint.
//!
//! Functions are grouped into strongly connected components (recursion), visited callees
//! first; each component's reach is its members' own effects plus its callees' reach, in
//! source order, without repeats. Components share one list. Provenance is not stored per
//! function: the chain for a reported finding is rebuilt by a breadth-first search over call
//! edges, which costs nothing for the (many) effects that are never reported.
//!
//! A call that certainly skips guarded events of its callee (a literal argument, or the
//! parameter's default, on which a test of the parameter is false: see
//! [`crate::summary::ParamGuard`]) reaches less than the callee's own list: its edge gets a
//! list of its own, the callee's events outside the skipped ranges and what those reach.
//! Such edges are few; every other edge shares its callee's list.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::VecDeque;
use std::sync::Arc;

use ruff_text_size::TextRange;

use super::Program;
use super::effects::{Body, EffectId, Resolved};
use super::resolve::FnRef;

/// One call edge: event `event` (numbered within `caller`'s events) calls `callee`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallSite {
    pub caller: Body,
    pub event: u32,
    pub callee: FnRef,
}

/// The ranges of a callee's events (see [`crate::summary::ParamGuard::events`]) that one
/// call of it certainly does not run.
pub type SkippedEvents = std::sync::Arc<[std::ops::Range<u32>]>;

#[derive(Default)]
pub struct Reach {
    /// Offset of each file's first function in the flat numbering.
    offsets: Vec<usize>,
    lists: Vec<Arc<[EffectId]>>,
    /// What each call that skips guarded events of its callee reaches (a call within one
    /// recursive component reaches the component's list, as any other).
    edges: HashMap<CallSite, Arc<[EffectId]>>,
}

impl Reach {
    pub fn of(&self, f: FnRef) -> &[EffectId] {
        let i = self.offsets[f.file.0 as usize] + f.func as usize;
        &self.lists[i]
    }

    /// What the call `site` reaches: less than its callee's list when it skips guarded
    /// events.
    pub fn of_call(&self, site: CallSite) -> &[EffectId] {
        match self.edges.get(&site) {
            Some(list) => list,
            None => self.of(site.callee),
        }
    }

    /// Entries over all distinct lists (for measuring).
    pub fn total_entries(&self) -> usize {
        let mut seen = HashSet::default();
        self.lists
            .iter()
            .filter(|l| seen.insert(l.as_ptr()))
            .map(|l| l.len())
            .sum()
    }

    pub fn compute(program: &Program) -> Reach {
        let (offsets, total) = program.function_offsets();
        let node = |f: FnRef| offsets[f.file.0 as usize] + f.func as usize;
        let mut fn_of = Vec::with_capacity(total);
        for (file, per_fn) in program.fn_events.iter().enumerate() {
            for func in 0..per_fn.len() {
                fn_of.push(FnRef {
                    file: crate::diagnostic::FileId(file as u32),
                    func: func as u32,
                });
            }
        }
        let events = |n: usize| -> &[Resolved] {
            let f = fn_of[n];
            program.fn_events[f.file.0 as usize].all(f.func)
        };
        // The `i`-th resolution of `n`, as a call-graph successor if it is a call.
        let successor = |n: usize, i: usize| -> Option<Option<usize>> {
            events(n).get(i).map(|r| match r {
                Resolved::Call(f) => Some(node(*f)),
                Resolved::Effect(_) => None,
            })
        };

        let sccs = tarjan(total, &successor);
        let mut comp_of = vec![usize::MAX; total];
        for (c, members) in sccs.iter().enumerate() {
            for &m in members {
                comp_of[m] = c;
            }
        }
        let empty: Arc<[EffectId]> = Arc::from(Vec::new());
        let mut edges: HashMap<CallSite, Arc<[EffectId]>> = HashMap::default();
        let mut lists: Vec<Arc<[EffectId]>> = vec![empty.clone(); total];
        // Tarjan yields components callees-first, so every callee outside a component is done.
        // `stamp[effect] == c + 1`: already in component c's list (no set per component).
        let mut stamp = vec![0u32; program.effects.len()];
        // Reused for every component: most reach nothing and allocate nothing.
        let mut list = Vec::new();
        let mut members_sorted = Vec::new();
        for (c, members) in sccs.iter().enumerate() {
            let mark = c as u32 + 1;
            let mut seen = |id: EffectId| {
                let slot = &mut stamp[id.0 as usize];
                let new = *slot != mark;
                *slot = mark;
                new
            };
            list.clear();
            members_sorted.clear();
            members_sorted.extend_from_slice(members);
            members_sorted.sort_unstable();
            for &m in &members_sorted {
                let caller = fn_of[m];
                let per_event = program.fn_events[caller.file.0 as usize].with_ranges(caller.func);
                for (event, (_, resolved)) in per_event.enumerate() {
                    for r in resolved {
                        match r {
                            Resolved::Effect(id) => {
                                if seen(*id) {
                                    list.push(*id);
                                }
                            }
                            Resolved::Call(f) => {
                                let callee = node(*f);
                                if comp_of[callee] == c {
                                    continue;
                                }
                                let site = CallSite {
                                    caller: Body::Function(caller),
                                    event: event as u32,
                                    callee: *f,
                                };
                                let reached = match program.skipped_calls.get(&site) {
                                    Some(skipped) => {
                                        let pruned = pruned(
                                            program, &offsets, &lists, &edges, site, skipped,
                                        );
                                        edges.entry(site).or_insert(pruned).clone()
                                    }
                                    None => lists[callee].clone(),
                                };
                                for id in reached.iter() {
                                    if seen(*id) {
                                        list.push(*id);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let shared: Arc<[EffectId]> = if list.is_empty() {
                empty.clone()
            } else {
                Arc::from(list.as_slice())
            };
            for &m in members {
                lists[m] = shared.clone();
            }
        }
        // Calls from module bodies, once every function's list is final.
        for (site, skipped) in &program.skipped_calls {
            if let Body::Module(_) = site.caller {
                let reached = pruned(program, &offsets, &lists, &edges, *site, skipped);
                edges.insert(*site, reached);
            }
        }
        Reach {
            offsets,
            lists,
            edges,
        }
    }
}

/// What call `site` reaches when it skips the `skipped` events of its callee: the callee's
/// other events' effects, and what their calls reach (through their own edge lists where
/// they skip something too). The callee's component is complete; `lists` are indexed from
/// `offsets` as [`Reach::of`] does.
fn pruned(
    program: &Program,
    offsets: &[usize],
    lists: &[Arc<[EffectId]>],
    edges: &HashMap<CallSite, Arc<[EffectId]>>,
    site: CallSite,
    skipped: &SkippedEvents,
) -> Arc<[EffectId]> {
    let f = site.callee;
    let mut seen = HashSet::default();
    let mut reached = Vec::new();
    let events = program.fn_events[f.file.0 as usize].with_ranges(f.func);
    for (event, (_, resolved)) in events.enumerate() {
        if skipped.iter().any(|range| range.contains(&(event as u32))) {
            continue;
        }
        for r in resolved {
            let ids = match *r {
                Resolved::Effect(ref id) => std::slice::from_ref(id),
                Resolved::Call(g) => {
                    let inner = CallSite {
                        caller: Body::Function(f),
                        event: event as u32,
                        callee: g,
                    };
                    match edges.get(&inner) {
                        Some(list) => &list[..],
                        None => &lists[offsets[g.file.0 as usize] + g.func as usize][..],
                    }
                }
            };
            reached.extend(ids.iter().filter(|id| seen.insert(**id)));
        }
    }
    reached.into()
}

/// Strongly connected components, stored flat: component `i` is
/// `nodes[bounds[i]..bounds[i + 1]]`.
pub(super) struct Components {
    nodes: Vec<usize>,
    bounds: Vec<usize>,
}

impl Components {
    pub(super) fn iter(&self) -> impl Iterator<Item = &[usize]> + '_ {
        self.bounds.windows(2).map(|w| &self.nodes[w[0]..w[1]])
    }
}

/// Iterative Tarjan (no recursion: call chains in real projects are deep). `successor(v, i)`
/// is the `i`-th out-edge slot of `v`: `None` past the last, `Some(None)` for a slot that is
/// not an edge. Components come out callees first.
pub(super) fn tarjan(
    n: usize,
    successor: &dyn Fn(usize, usize) -> Option<Option<usize>>,
) -> Components {
    const UNVISITED: usize = usize::MAX;
    let mut index = vec![UNVISITED; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut out = Components {
        nodes: Vec::with_capacity(n),
        bounds: vec![0],
    };
    let mut next = 0;
    // (node, next out-edge slot)
    let mut work: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNVISITED {
            continue;
        }
        work.push((root, 0));
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some((v, pos)) = work.last_mut() {
            let v = *v;
            match successor(v, *pos) {
                Some(edge) => {
                    *pos += 1;
                    let Some(w) = edge else { continue };
                    if index[w] == UNVISITED {
                        index[w] = next;
                        low[w] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w] = true;
                        work.push((w, 0));
                    } else if on_stack[w] {
                        low[v] = low[v].min(index[w]);
                    }
                }
                None => {
                    work.pop();
                    if let Some((parent, _)) = work.last() {
                        low[*parent] = low[*parent].min(low[v]);
                    }
                    if low[v] == index[v] {
                        while let Some(w) = stack.pop() {
                            on_stack[w] = false;
                            out.nodes.push(w);
                            if w == v {
                                break;
                            }
                        }
                        out.bounds.push(out.nodes.len());
                    }
                }
            }
        }
    }
    out
}

/// One hop of a call chain: the call at `range` in `caller` runs `callee`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallStep {
    pub caller: FnRef,
    pub range: TextRange,
    pub callee: FnRef,
}

/// The shortest chain of calls from `from` into the function holding `target` (empty when
/// `from` holds it itself). A call that certainly skips guarded events of its callee is
/// followed into the other events only (`entry_skipped`: what the call into `from` skips),
/// so that the chain shown is one the program can take.
pub fn call_path(
    program: &Program,
    from: FnRef,
    entry_skipped: Option<&SkippedEvents>,
    target: Body,
) -> Vec<CallStep> {
    let Body::Function(goal) = target else {
        return Vec::new();
    };
    if from == goal {
        return Vec::new();
    }
    let mut prev: HashMap<FnRef, CallStep> = HashMap::default();
    // Each function is entered once, through the first call that reaches it: with what
    // that call skips of it.
    let mut queue: VecDeque<(FnRef, Option<&SkippedEvents>)> =
        VecDeque::from([(from, entry_skipped)]);
    let mut seen: HashSet<FnRef> = std::iter::once(from).collect();
    while let Some((f, skipped)) = queue.pop_front() {
        let events = program.fn_events[f.file.0 as usize].with_ranges(f.func);
        for (event, (range, resolved)) in events.enumerate() {
            if skipped.is_some_and(|s| s.iter().any(|r| r.contains(&(event as u32)))) {
                continue;
            }
            for r in resolved {
                let Resolved::Call(callee) = r else { continue };
                if !seen.insert(*callee) {
                    continue;
                }
                prev.insert(
                    *callee,
                    CallStep {
                        caller: f,
                        range,
                        callee: *callee,
                    },
                );
                if *callee == goal {
                    let mut path = Vec::new();
                    let mut at = goal;
                    while let Some(step) = prev.get(&at) {
                        path.push(*step);
                        at = step.caller;
                        if at == from {
                            break;
                        }
                    }
                    path.reverse();
                    return path;
                }
                let skips = program.skipped_events(Body::Function(f), event, *callee);
                queue.push_back((*callee, skips));
            }
        }
    }
    Vec::new()
}
