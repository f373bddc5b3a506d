//! What the rules and the call graph ask of a solved analysis.

use std::collections::{BTreeMap, BTreeSet};

use ruff_text_size::TextRange;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::*;
use crate::diagnostic::FileId;

impl PointsTo {
    /// The size of the solved analysis, for `FORKLINT_TIMING`: variables, edges, facts
    /// (objects held, summed over variables), the largest variable, how many reached the cap,
    /// uses (loads, stores, calls… waiting on a variable's objects), and objects.
    /// How much work the solver had done when it gave up on this project, if it did.
    pub fn exhausted(&self) -> Option<u64> {
        self.exhausted
    }

    pub fn stats(&self) -> String {
        let facts: usize = self.pts.iter().map(<[ObjId]>::len).sum();
        let largest = self.pts.iter().map(<[ObjId]>::len).max().unwrap_or(0);
        format!(
            "{} variables, {} edges, {facts} facts (largest {largest}, {} capped), {} uses, {} calls, {} objects",
            self.pts.len(),
            self.succ
                .iter()
                .map(<[(NodeId, FilterId)]>::len)
                .sum::<usize>(),
            self.saturated.iter().filter(|&&s| s).count(),
            self.uses.iter().map(<[Use]>::len).sum::<usize>(),
            self.calls.len(),
            self.objs.len()
        )
    }

    // ---- queries ----

    /// Every method called anywhere on an object: (the method's name — a library name, or a
    /// project function's dotted name — the object it is called on, and the scope the call
    /// is written in). `for t in ts: t.join()` gives `threading.Thread.join` on each thread
    /// put in `ts`. Computed once.
    pub fn method_calls(&self) -> &[(String, ObjId, ScopeRef)] {
        self.method_calls
            .get_or_init(|| self.collect_method_calls())
    }

    fn collect_method_calls(&self) -> Vec<(String, ObjId, ScopeRef)> {
        let mut out = Vec::new();
        let mut seen = HashSet::default();
        for s in self.sites.iter().filter(|s| !s.direct) {
            for &o in &self.pts[s.callee as usize] {
                if let Obj::Bound { recv, func } = self.object(o)
                    && seen.insert((*func, *recv, s.file, s.scope))
                {
                    let name = match self.object(*func) {
                        Obj::External(n) => n.to_string(),
                        Obj::Function(f, scope) => self.scope_name(*f, *scope),
                        _ => continue,
                    };
                    out.push((name, *recv, (s.file, s.scope)));
                }
            }
        }
        out.sort();
        out
    }

    /// The project functions each scope calls: (caller, callee) scopes; class bodies count
    /// as the scope that defines the class. Not the calls a library makes later of a
    /// function handed to it (a thread's target, an exit handler): see
    /// [`PointsTo::passed_to_library`].
    pub fn function_edges(&self) -> Vec<(ScopeRef, ScopeRef)> {
        let mut out: Vec<(ScopeRef, ScopeRef)> = self
            .call_edges
            .iter()
            .filter_map(|&(caller, callee)| match self.object(callee) {
                Obj::Function(f, s) => Some((caller, (*f, *s))),
                _ => None,
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Project functions passed as arguments to library calls, which the library may call
    /// (a signal handler, a callback, `atexit.register(self.stop)`): (the library name,
    /// the calling scope, the function's scope). A function inside a container passed to
    /// the library is not followed.
    pub fn passed_to_library(&self) -> Vec<(Arc<str>, ScopeRef, ScopeRef)> {
        let mut out = Vec::new();
        for (id, name) in &self.library_calls {
            let call = &self.calls[*id as usize];
            for a in call.args.iter() {
                let node = match *a {
                    ArgNode::Pos(Some(n)) | ArgNode::Kw(_, n) => n,
                    _ => continue,
                };
                for &o in &self.pts[node as usize] {
                    let func = match self.object(o) {
                        Obj::Bound { func, .. } => *func,
                        _ => o,
                    };
                    if let Obj::Function(f, s) = self.object(func) {
                        out.push((name.clone(), call.caller, (*f, *s)));
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Method calls whose callee the flow does not know (`server.stop()` on a parameter
    /// that nothing passes an object to): (caller, method name). Python would run whatever
    /// `stop` the receiver has; a project method of that name is a candidate.
    pub fn unresolved_method_calls(&self) -> Vec<(ScopeRef, &str)> {
        let library: HashSet<u32> = self.library_calls.iter().map(|(id, _)| *id).collect();
        let mut out: Vec<(ScopeRef, &str)> = self
            .attr_calls
            .iter()
            .filter(|(_, callee, _, made_by)| {
                self.pts[*callee as usize].is_empty()
                    && !made_by.is_some_and(|call| library.contains(&call))
            })
            .map(|&(caller, _, attr, _)| (caller, &*self.names[attr as usize]))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Attribute reads passed to library calls whose value the flow does not know
    /// (`signal.signal(sig, self.on_exit)` in a method whose `self` nothing binds): (the
    /// library name, the calling scope, the attribute). The library may call whatever method
    /// of that name the object has.
    pub fn unresolved_passed_to_library(&self) -> Vec<(Arc<str>, ScopeRef, &str)> {
        let library: HashMap<u32, &Arc<str>> =
            self.library_calls.iter().map(|(id, n)| (*id, n)).collect();
        let mut out: Vec<(Arc<str>, ScopeRef, &str)> = self
            .attr_args
            .iter()
            .filter(|(_, node, _)| self.pts[*node as usize].is_empty())
            .filter_map(|&(id, _, attr)| {
                let name = library.get(&id)?;
                Some((
                    (*name).clone(),
                    self.calls[id as usize].caller,
                    &*self.names[attr as usize],
                ))
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// A scope's dotted name within its module (empty for the module).
    pub fn scope_qualname(&self, scope: ScopeRef) -> &str {
        &self.scope_info(scope.0, scope.1).qualname
    }

    /// Whether a wait on `o` is a wait on the objects it stands for: the objects made at one
    /// call, or the instance a class's methods run on (`self.start()` in one method and
    /// `self.join()` in another act on the same thread whenever both run on one instance).
    /// Not a library name's one object for every call (`some_lib.make()`), which stands for
    /// objects of any kind made anywhere.
    pub fn is_one_site(&self, o: ObjId) -> bool {
        match self.object(o) {
            Obj::Instance { .. } => true,
            Obj::ExtInstance { site, .. } => *site != u32::MAX,
            _ => false,
        }
    }

    /// The objects a method called at `range` of `file` is bound to (`t` in `t.join()`, each
    /// thread of `for t in ts: t.join()`), or the manager of a `with` item there. Empty when
    /// the analysis does not know them all: a variable that stopped growing at
    /// [`MAX_OBJECTS_PER_VARIABLE`] holds only some of its objects, and a partial answer
    /// would read as "only these".
    pub fn receivers(&self, file: FileId, range: TextRange) -> Vec<ObjId> {
        let mut out = Vec::new();
        for s in self.sites_at(file, range) {
            if self.saturated[s.callee as usize] {
                return Vec::new();
            }
            for &o in &self.pts[s.callee as usize] {
                match self.object(o) {
                    _ if s.direct => out.push(o),
                    Obj::Bound { recv, .. } => out.push(*recv),
                    _ => {}
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The objects a call at `range` of `file` returns (the thread `threading.Thread(...)`
    /// makes). Empty when not all are known, as for [`PointsTo::receivers`].
    pub fn results(&self, file: FileId, range: TextRange) -> Vec<ObjId> {
        let sites = || self.sites_at(file, range).iter();
        if sites().any(|s| !s.direct && self.saturated[s.result as usize]) {
            return Vec::new();
        }
        let mut out: Vec<ObjId> = sites()
            .filter(|s| !s.direct)
            .flat_map(|s| self.pts[s.result as usize].iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The resolved call graph: for every project function (and module body), the names of
    /// what it calls, in PyCG's naming: `module.qualname` for project functions, the
    /// `__init__` a constructor call runs, `<builtin>.name` for builtins, the dotted name of
    /// a library function.
    pub fn call_graph(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        // Every function is a node, called or not.
        for (&file, scopes) in &self.scopes {
            for (i, s) in scopes.iter().enumerate() {
                if s.kind != ScopeKind::Class {
                    out.entry(self.scope_name(file, i as ScopeId)).or_default();
                }
            }
        }
        for &((file, scope), callee) in &self.call_edges {
            let caller = self.scope_name(file, scope);
            let name = match self.object(callee) {
                Obj::Function(f, s) => self.scope_name(*f, *s),
                Obj::External(n) => n.to_string(),
                _ => continue,
            };
            out.entry(caller).or_default().insert(name);
        }
        out
    }

    pub(super) fn scope_name(&self, file: FileId, scope: ScopeId) -> String {
        let module = &self.module_names[file.0 as usize];
        let q = &self.scope_info(file, scope).qualname;
        if q.is_empty() {
            module.clone()
        } else {
            format!("{module}.{q}")
        }
    }
}

impl PointsTo {
    /// The objects passed to the call written at `range` of `file` as its positional argument
    /// `position` (not counting a method's receiver) or as keyword argument `keyword`: the
    /// callable in `loop.run_in_executor(None, interp.exec, code)`. Empty when the flow does
    /// not know, or when the argument holds only some of its objects (as for
    /// [`PointsTo::receivers`]). Scans the calls: for the few calls a rule asks about, not
    /// for every call.
    pub fn arguments(
        &self,
        file: FileId,
        range: TextRange,
        position: Option<usize>,
        keyword: Option<&str>,
    ) -> Vec<ObjId> {
        let results: Vec<NodeId> = self
            .sites_at(file, range)
            .iter()
            .filter(|s| !s.direct)
            .map(|s| s.result)
            .collect();
        if results.is_empty() {
            return Vec::new();
        }
        let keyword = keyword.and_then(|k| self.name_ids.get(k)).copied();
        let mut out = Vec::new();
        for call in &self.calls {
            if call.caller.0 != file || call.implicit || !results.contains(&call.dst) {
                continue;
            }
            let mut at = Some(0usize);
            for arg in call.args.iter() {
                let node = match *arg {
                    ArgNode::Pos(node) => {
                        let here = at.is_some() && at == position;
                        at = at.map(|i| i + 1);
                        if here { node } else { None }
                    }
                    // Positions after `*xs` are not known.
                    ArgNode::Star(_) => {
                        at = None;
                        None
                    }
                    ArgNode::Kw(name, node) if Some(name) == keyword => Some(node),
                    ArgNode::Kw(..) | ArgNode::StarStar(_) => None,
                };
                if let Some(n) = node {
                    if self.saturated[n as usize] {
                        return Vec::new();
                    }
                    out.extend(self.pts[n as usize].iter().copied());
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
