//! The solver: the worklist, what each use does with each object that reaches it (loads,
//! stores, calls, method lookups through the class hierarchy), and calls' arguments into
//! parameters.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use super::*;
use crate::diagnostic::FileId;

impl PointsTo {
    pub(super) fn run(&mut self) {
        loop {
            loop {
                if self.work > self.max_work {
                    return;
                }
                if let Some((u, o)) = self.pending.pop() {
                    self.apply(u, o);
                    continue;
                }
                let Some(n) = self.worklist.pop() else { break };
                self.queued[n as usize] = false;
                // The node's news, one at a time, by index: passing an object on can add
                // objects, edges and uses to this very node (an edge or use takes the node's
                // objects as it is added, so none is missed).
                while let Some(&o) = self.pts[n as usize].get(self.done[n as usize] as usize) {
                    self.done[n as usize] += 1;
                    let mut i = 0;
                    while let Some(&(to, filter)) = self.succ[n as usize].get(i) {
                        let filter = self.filters[filter.0 as usize];
                        self.pass(to, o, filter);
                        i += 1;
                    }
                    let mut i = 0;
                    while let Some(&u) = self.uses[n as usize].get(i) {
                        self.apply(u, o);
                        i += 1;
                    }
                }
            }
            // Bases are values too: replay the lookups of every class whose resolution
            // order has grown since it was used.
            let classes: Vec<ObjId> = if self.replayed_generation == self.class_generation {
                Vec::new()
            } else {
                self.replayed_generation = self.class_generation;
                self.mro_used.keys().copied().collect()
            };
            let mut changed = Vec::new();
            for c in classes {
                let now = self.mro(c);
                if self.mro_used.get(&c) != Some(&now) {
                    changed.push(c);
                }
            }
            if changed.is_empty() {
                // A variable index that holds nothing known selects any element.
                let unknown: Vec<(NodeId, NodeId, NodeId)> = self
                    .dyn_loads
                    .iter()
                    .copied()
                    .filter(|&(_, i, _)| self.pts[i as usize].is_empty())
                    .collect();
                self.dyn_loads
                    .retain(|&(_, i, _)| !self.pts[i as usize].is_empty());
                if unknown.is_empty() {
                    break;
                }
                for (b, _, d) in unknown {
                    self.add_use(b, Use::ElemLoad { dst: d });
                }
                continue;
            }
            changed.sort();
            for c in changed {
                let now = self.mro(c);
                self.mro_used.insert(c, now);
                let replay = self.lookups.get(&c).cloned().unwrap_or_default();
                for l in replay {
                    self.resolve_lookup(l.obj, l.attr, l.dst, l.caller);
                }
            }
        }
    }

    /// Passes object `o` along an edge into `to`.
    pub(super) fn pass(&mut self, to: NodeId, o: ObjId, filter: Filter) {
        match filter {
            Filter::All => self.add(to, o),
            Filter::Bind { recv, caller } => match *self.object(o) {
                Obj::Function(file, scope) => match self.scope_info(file, scope).binding {
                    Binding::Static => self.add(to, o),
                    Binding::ClassMethod => {
                        let class = self.class_of(recv).unwrap_or(recv);
                        let b = self.obj(Obj::Bound {
                            recv: class,
                            func: o,
                        });
                        self.add(to, b);
                    }
                    Binding::Method => {
                        let b = self.obj(Obj::Bound { recv, func: o });
                        self.add(to, b);
                    }
                    Binding::Property => {
                        // Reading a property runs its getter.
                        self.call_edge(caller, o);
                        self.bind_params(o, Some(recv), &[]);
                        let r = self.ret((file, scope));
                        self.edge(r, to, Filter::All);
                    }
                },
                _ => self.add(to, o),
            },
            Filter::ClassRead { class } => match *self.object(o) {
                Obj::Function(file, scope)
                    if self.scope_info(file, scope).binding == Binding::ClassMethod =>
                {
                    let b = self.obj(Obj::Bound {
                        recv: class,
                        func: o,
                    });
                    self.add(to, b);
                }
                _ => self.add(to, o),
            },
        }
    }

    pub(super) fn scope_info(&self, file: FileId, scope: ScopeId) -> &ScopeInfo {
        &self.scopes[&file][scope as usize]
    }

    /// The class of an instance.
    pub(super) fn class_of(&self, o: ObjId) -> Option<ObjId> {
        match self.object(o) {
            Obj::Instance { class, .. } => Some(*class),
            Obj::Class(..) => Some(o),
            _ => None,
        }
    }

    /// The classes searched for an attribute of `class`, in order: Python's C3 linearisation
    /// over the bases known so far (a base variable may hold several classes: each is taken,
    /// in order). Where C3 fails (an inconsistent hierarchy, which Python rejects), depth-first
    /// order is used.
    ///
    /// Cached per class: an order stays right until the bases of one of its classes grow
    /// (every ancestor is in the order, so nothing else can change it).
    pub(super) fn mro(&mut self, class: ObjId) -> Arc<[ObjId]> {
        if let Some((computed, order)) = self.mro_cache.get(&class)
            && order.iter().all(|c| {
                self.bases_grown
                    .get(c)
                    .is_none_or(|&grown| grown <= *computed)
            })
        {
            return order.clone();
        }
        let mut memo = HashMap::default();
        let order: Arc<[ObjId]> = self.c3(class, &mut memo, 0).into();
        self.mro_cache
            .insert(class, (self.class_generation, order.clone()));
        order
    }

    pub(super) fn direct_bases(&self, class: ObjId) -> Vec<ObjId> {
        let mut out = Vec::new();
        if let Some(bases) = self.bases.get(&class) {
            for &b in bases {
                for &o in &self.pts[b as usize] {
                    // A library base is a name read from an import (`threading.Thread`), not
                    // any library value a base expression may hold.
                    let usable = match self.object(o) {
                        Obj::Class(..) => true,
                        Obj::External(_) => self.ext_reads.contains_key(&o),
                        _ => false,
                    };
                    if usable && o != class && !out.contains(&o) {
                        out.push(o);
                    }
                }
            }
        }
        out
    }

    pub(super) fn c3(
        &self,
        class: ObjId,
        memo: &mut HashMap<ObjId, Vec<ObjId>>,
        depth: u32,
    ) -> Vec<ObjId> {
        if let Some(m) = memo.get(&class) {
            return m.clone();
        }
        let bases = self.direct_bases(class);
        if depth > 64 || bases.is_empty() {
            return vec![class];
        }
        // Guard against a cycle (`A = B; class B(A)`): a class in progress is a leaf.
        memo.insert(class, vec![class]);
        let mut seqs: Vec<Vec<ObjId>> =
            bases.iter().map(|&b| self.c3(b, memo, depth + 1)).collect();
        seqs.push(bases.clone());
        let mut out = vec![class];
        loop {
            seqs.retain(|s| !s.is_empty());
            if seqs.is_empty() {
                break;
            }
            let head = seqs
                .iter()
                .map(|s| s[0])
                .find(|&h| seqs.iter().all(|s| !s[1..].contains(&h)));
            let Some(head) = head else {
                // Inconsistent: fall back to the rest, depth first, each once.
                for s in &seqs {
                    for &c in s {
                        if !out.contains(&c) {
                            out.push(c);
                        }
                    }
                }
                break;
            };
            out.push(head);
            for s in &mut seqs {
                if s.first() == Some(&head) {
                    s.remove(0);
                }
            }
        }
        memo.insert(class, out.clone());
        out
    }

    /// `dst ⊇ obj.attr` for an instance, class or `super()` proxy: logged per class so it can
    /// be replayed when the class's bases grow.
    pub(super) fn lookup(&mut self, obj: ObjId, attr: u32, dst: NodeId, caller: ScopeRef) {
        if let Some(start) = self.lookup_start(obj) {
            self.lookups.entry(start).or_default().push(Lookup {
                obj,
                attr,
                dst,
                caller,
            });
        }
        self.resolve_lookup(obj, attr, dst, caller);
    }

    /// The class whose resolution order a lookup through `obj` searches.
    fn lookup_start(&self, obj: ObjId) -> Option<ObjId> {
        match self.object(obj) {
            Obj::Instance { class, .. } => Some(*class),
            Obj::Class(..) => Some(obj),
            // super() searches the receiver's class order after `class`.
            Obj::Super { class, recv } => Some(self.class_of(*recv).unwrap_or(*class)),
            _ => None,
        }
    }

    /// A lookup, already logged (or replayed from the log).
    fn resolve_lookup(&mut self, obj: ObjId, attr: u32, dst: NodeId, caller: ScopeRef) {
        let (class, recv, skip_first) = match self.object(obj).clone() {
            Obj::Instance { class, .. } => (class, Some(obj), false),
            Obj::Class(..) => (obj, None, false),
            Obj::Super { class, recv } => (class, Some(recv), true),
            _ => return,
        };
        let start = self.lookup_start(obj).unwrap_or(class);
        let order = self.mro(start);
        // Keep the order the *oldest* logged lookup used: if it is stale, the replay in
        // `run` brings every lookup of this class up to date.
        self.mro_used.entry(start).or_insert_with(|| order.clone());
        let from = if skip_first {
            order
                .iter()
                .position(|&c| c == class)
                .map_or(order.len(), |i| i + 1)
        } else {
            0
        };
        for &c in &order[from..] {
            match self.object(c).clone() {
                Obj::Class(file, scope) => {
                    let n = self.field(c, attr);
                    let filter = match recv {
                        Some(recv) => Filter::Bind { recv, caller },
                        None => Filter::ClassRead { class: obj },
                    };
                    self.edge(n, dst, filter);
                    // The first class whose body defines the name is where Python stops.
                    if self
                        .scope_info(file, scope)
                        .class_names
                        .binary_search(&attr)
                        .is_ok()
                    {
                        break;
                    }
                }
                Obj::External(name) => {
                    // A library base class the knowledge base knows (a pool, a thread): the
                    // attribute may be data its `__init__` stored on the instance.
                    if let Some(recv) = recv
                        && self.tracked.contains(&*name)
                    {
                        let data = self.obj(Obj::LibData { recv, attr });
                        self.add(dst, data);
                    }
                    // A library base class (`threading.Thread`): its methods.
                    let Some(method) = self.ext_attr(&name, attr) else {
                        break;
                    };
                    let f = self.obj(Obj::External(method));
                    let o = match recv {
                        Some(recv) => self.obj(Obj::Bound { recv, func: f }),
                        None => f,
                    };
                    self.add(dst, o);
                    break;
                }
                _ => {}
            }
        }
    }

    pub(super) fn apply(&mut self, u: Use, o: ObjId) {
        match u {
            Use::Load { dst, attr, caller } => self.load(o, attr, dst, caller),
            Use::Store { attr, src } => {
                if !matches!(self.object(o), Obj::Str(_) | Obj::External(_)) {
                    let f = self.field(o, attr);
                    self.edge(src, f, Filter::All);
                }
            }
            Use::ElemLoad { dst } => {
                if self.is_container(o) {
                    let (e, v) = self.elem_fields(o);
                    self.edge(e, dst, Filter::All);
                    self.edge(v, dst, Filter::All);
                    if self.has_keys(o) {
                        let k = self.keys_field(o);
                        self.edge(k, dst, Filter::All);
                    }
                }
            }
            Use::ElemStore { src } => {
                if self.is_container(o) {
                    let (e, _) = self.elem_fields(o);
                    self.edge(src, e, Filter::All);
                }
            }
            Use::DictKey { src } => {
                if self.has_keys(o) {
                    let k = self.keys_field(o);
                    self.edge(src, k, Filter::All);
                }
            }
            Use::IndexLoad { dst, index } => {
                if self.is_container(o) {
                    let key = self.name(&format!("#{index}"));
                    let (f, (e, _)) = (self.key_field(o, key), self.elem_fields(o));
                    self.edge(f, dst, Filter::All);
                    self.edge(e, dst, Filter::All);
                }
            }
            Use::KeyLoad { dst, key } => {
                if self.is_container(o) {
                    let (f, (e, _)) = (self.key_field(o, key), self.elem_fields(o));
                    self.edge(f, dst, Filter::All);
                    self.edge(e, dst, Filter::All);
                }
            }
            Use::KeyStore { key, src } => {
                if self.is_container(o) {
                    let (f, (_, v)) = (self.key_field(o, key), self.elem_fields(o));
                    self.edge(src, f, Filter::All);
                    self.edge(src, v, Filter::All);
                }
            }
            Use::Call(id) => self.call(id, o),
            Use::Raise { caller, file, site } => {
                if matches!(self.object(o), Obj::Class(..)) {
                    let dst = self.new_node();
                    self.instantiate(o, file, site, caller, dst, &[], true);
                }
            }
            Use::Enter { dst, caller } => match self.object(o) {
                Obj::Instance { .. } => {
                    for method in ["__enter__", "__exit__"] {
                        let attr = self.name(method);
                        let callee = self.new_node();
                        let result = if method == "__enter__" {
                            dst
                        } else {
                            self.new_node()
                        };
                        self.lookup(o, attr, callee, caller);
                        self.add_call(
                            callee,
                            CallSite {
                                caller,
                                dst: result,
                                args: Arc::from([]),
                                site: u32::MAX,
                                implicit: true,
                                ctor: false,
                                deferred: false,
                                origin: u32::MAX,
                            },
                        );
                    }
                }
                _ => self.add(dst, o),
            },
            Use::Super { dst, class } => {
                let s = self.obj(Obj::Super { class, recv: o });
                self.add(dst, s);
            }
            // By position, not by iterator: a load can add objects to the very list read.
            Use::DynLoad { dst, index } => {
                let mut k = 0;
                while let Some(&i) = self.pts[index as usize].get(k) {
                    self.index_load(o, i, dst);
                    k += 1;
                }
            }
            Use::DynIndex { dst, base } => {
                let mut k = 0;
                while let Some(&c) = self.pts[base as usize].get(k) {
                    self.index_load(c, o, dst);
                    k += 1;
                }
            }
            Use::Slice { dst, start } => {
                // A slice of a slice (`xs = xs[1:]` in a loop) is a view of the same base at a
                // position no longer known: views never nest, so there are finitely many.
                let view = match self.object(o).clone() {
                    Obj::Slice { base, .. } => Some(Obj::Slice {
                        base,
                        start: UNKNOWN_START,
                    }),
                    _ if self.is_container(o) => Some(Obj::Slice { base: o, start }),
                    _ => None,
                };
                if let Some(view) = view {
                    let s = self.obj(view);
                    self.add(dst, s);
                }
            }
        }
    }

    /// `dst ⊇ container[index]` for one container and one index object.
    pub(super) fn index_load(&mut self, container: ObjId, index: ObjId, dst: NodeId) {
        if !self.is_container(container) {
            return;
        }
        let key = match self.object(index).clone() {
            Obj::Int(i) if i >= 0 => Some(format!("#{i}")),
            Obj::Str(Some(s)) => Some(format!("'{s}'")),
            _ => None,
        };
        match key {
            Some(k) => {
                let k = self.name(&k);
                self.apply(Use::KeyLoad { dst, key: k }, container);
            }
            None => self.apply(Use::ElemLoad { dst }, container),
        }
    }

    pub(super) fn is_container(&self, o: ObjId) -> bool {
        matches!(
            self.object(o),
            Obj::Container { .. }
                | Obj::VarArgs(_)
                | Obj::VarKeywords(_)
                | Obj::Generator(_)
                | Obj::Slice { .. }
                | Obj::LibData { .. }
                | Obj::Items(_)
                | Obj::Values(_)
                | Obj::Pair(_)
        )
    }

    /// Whether `o` may be a dict, whose keys are kept (see [`Op::DictKey`]): a list's
    /// `xs[i] = v` has no key to keep, and most containers are lists.
    pub(super) fn has_keys(&self, o: ObjId) -> bool {
        match self.object(self.unsliced(o)) {
            Obj::Container { kind, .. } => *kind == ContainerKind::Dict,
            Obj::VarKeywords(_) | Obj::LibData { .. } => true,
            _ => false,
        }
    }

    /// The container a slice reads (`xs` of `xs[1:]`), or `o` itself.
    fn unsliced(&self, o: ObjId) -> ObjId {
        match *self.object(o) {
            Obj::Slice { base, .. } => self.unsliced(base),
            _ => o,
        }
    }

    /// The field of a container holding its keys that are objects.
    pub(super) fn keys_field(&mut self, o: ObjId) -> NodeId {
        let o = self.unsliced(o);
        self.field(o, self.keys)
    }

    /// `d.values()`: a view whose elements are `d`'s values (iterating `d` itself also gives
    /// its keys).
    fn values_view(&mut self, d: ObjId) -> ObjId {
        let d = self.unsliced(d);
        let view = self.obj(Obj::Values(d));
        let slot = self.field(view, self.elem);
        let (e, v) = self.elem_fields(d);
        self.edge(e, slot, Filter::All);
        self.edge(v, slot, Filter::All);
        view
    }

    /// `d.items()`: a view whose elements are `d`'s `(key, value)` pairs, one pair object
    /// per container (what a pair holds is what the container holds).
    fn items_view(&mut self, d: ObjId) -> (ObjId, ObjId) {
        let d = self.unsliced(d);
        let items = self.obj(Obj::Items(d));
        let pair = self.obj(Obj::Pair(d));
        let elems = self.field(items, self.elem);
        if !self.pts[elems as usize].contains(&pair) {
            self.add(elems, pair);
            let (first, second) = (self.name("#0"), self.name("#1"));
            let (key_slot, value_slot) = (self.field(pair, first), self.field(pair, second));
            let keys = self.keys_field(d);
            let (e, v) = self.elem_fields(d);
            self.edge(keys, key_slot, Filter::All);
            self.edge(e, value_slot, Filter::All);
            self.edge(v, value_slot, Filter::All);
        }
        (items, pair)
    }

    /// The field of a container where a key or position lives: a slice's positions are its
    /// base's, shifted.
    pub(super) fn key_field(&mut self, o: ObjId, key: u32) -> NodeId {
        if let Obj::Slice { base, start } = self.object(o).clone() {
            if start == UNKNOWN_START {
                // Any position: the elements stored at unknown positions, and every value.
                return self.elem_fields(base).1;
            }
            let k = self.names[key as usize].clone();
            let shifted = k
                .strip_prefix('#')
                .and_then(|i| i.parse::<u64>().ok())
                .map(|i| format!("#{}", i + u64::from(start)));
            let key = match shifted {
                Some(s) => self.name(&s),
                None => key,
            };
            return self.key_field(base, key);
        }
        self.field(o, key)
    }

    /// The element fields of a container (a slice's are its base's).
    pub(super) fn elem_fields(&mut self, o: ObjId) -> (NodeId, NodeId) {
        if let Obj::Slice { base, .. } = self.object(o).clone() {
            return self.elem_fields(base);
        }
        (self.field(o, self.elem), self.field(o, self.values))
    }

    pub(super) fn load(&mut self, o: ObjId, attr: u32, dst: NodeId, caller: ScopeRef) {
        match self.object(o).clone() {
            Obj::Module(f) => {
                let sub = match self.submodules.get(&(f, attr)) {
                    Some(&sub) => sub,
                    None => {
                        let name = format!(
                            "{}.{}",
                            self.module_names[f.0 as usize], self.names[attr as usize]
                        );
                        let sub = self.modules.get(&name).copied();
                        self.submodules.insert((f, attr), sub);
                        sub
                    }
                };
                if let Some(sf) = sub {
                    let so = self.obj(Obj::Module(sf));
                    self.add(dst, so);
                }
                let n = self.field(o, attr);
                self.edge(n, dst, Filter::All);
            }
            Obj::Instance { .. } => {
                let n = self.field(o, attr);
                self.edge(n, dst, Filter::All);
                self.lookup(o, attr, dst, caller);
            }
            Obj::Class(..) | Obj::Super { .. } => self.lookup(o, attr, dst, caller),
            Obj::External(name) => {
                let reads = self.ext_reads.get(&o).copied().unwrap_or(0);
                if reads > 0
                    && let Some(n) = self.ext_attr(&name, attr)
                {
                    let e = self.external(n, reads - 1);
                    self.add(dst, e);
                }
            }
            Obj::ExtInstance { name, .. } => {
                if let Some(n) = self.ext_attr(&name, attr) {
                    let f = self.obj(Obj::External(n));
                    let b = self.obj(Obj::Bound { recv: o, func: f });
                    self.add(dst, b);
                }
            }
            Obj::Container { .. }
            | Obj::VarArgs(_)
            | Obj::VarKeywords(_)
            | Obj::Generator(_)
            | Obj::Slice { .. }
            | Obj::LibData { .. }
            | Obj::Items(_)
            | Obj::Values(_)
            | Obj::Pair(_)
            | Obj::Str(_) => {
                // Methods of builtin types, named as PyCG names them; a container's are
                // also followed by name when called (`append` stores, `pop` reads).
                let ty = match self.object(o) {
                    Obj::Str(_) => "<**PyStr**>",
                    Obj::Container {
                        kind: ContainerKind::Dict,
                        ..
                    }
                    | Obj::VarKeywords(_) => "<**PyDict**>",
                    Obj::Container {
                        kind: ContainerKind::Set,
                        ..
                    } => "<**PySet**>",
                    Obj::Container {
                        kind: ContainerKind::Tuple,
                        ..
                    }
                    | Obj::VarArgs(_)
                    | Obj::Pair(_) => "<**PyTuple**>",
                    Obj::Generator(_) => "<**PyGenerator**>",
                    _ => "<**PyList**>",
                };
                let f = self.obj(Obj::External(
                    format!("{ty}.{}", self.names[attr as usize]).into(),
                ));
                let b = self.obj(Obj::Bound { recv: o, func: f });
                self.add(dst, b);
            }
            Obj::Int(_) | Obj::Ref { .. } => {}
            Obj::Function(..) | Obj::Bound { .. } => {
                // Function attributes (`f.__name__`), string methods: nothing followed.
            }
        }
    }

    /// What calling library name `name` at `site` makes. Objects of the classes the
    /// knowledge base knows (threads, pools, processes, events, locks) are told apart by the
    /// call that made them, so a join can be matched to its thread; any other library
    /// object is one per name (there are as many call sites as lines of code).
    pub(super) fn ext_instance(&mut self, name: Arc<str>, file: FileId, site: u32) -> ObjId {
        let (file, site) = if self.tracked.contains(&*name) {
            (file, site)
        } else {
            (FileId(u32::MAX), u32::MAX)
        };
        self.obj(Obj::ExtInstance { name, file, site })
    }

    /// `name.attr` for a library name, or `None` past what is worth naming: a chain longer
    /// than [`MAX_EXTERNAL_PARTS`] names, or one that repeats a name after the first. Names
    /// grow with each attribute read, and a loop (`node = node.parent`) would grow them
    /// forever. The first name may repeat once: a module's function or class named as the
    /// module is (`signal.signal`, `time.time`, `socket.socket`, `datetime.datetime`).
    pub(super) fn ext_attr(&self, name: &str, attr: u32) -> Option<Arc<str>> {
        let attr = &*self.names[attr as usize];
        if name.split('.').skip(1).any(|part| part == attr)
            || name.bytes().filter(|&b| b == b'.').count() + 1 >= MAX_EXTERNAL_PARTS
        {
            return None;
        }
        Some(format!("{name}.{attr}").into())
    }

    pub(super) fn call_edge(&mut self, caller: ScopeRef, callee: ObjId) {
        self.call_edges.insert((caller, callee));
    }

    pub(super) fn call(&mut self, id: u32, o: ObjId) {
        if !self.handled.insert((id, o)) {
            return;
        }
        let call = self.calls[id as usize].clone();
        match self.object(o).clone() {
            Obj::Function(file, scope) => {
                if !call.deferred {
                    self.call_edge(call.caller, o);
                }
                self.bind_params(o, None, &call.args);
                self.result(file, scope, o, call.dst);
            }
            Obj::Bound { recv, func } => match self.object(func).clone() {
                Obj::Function(file, scope) => {
                    if !call.deferred {
                        self.call_edge(call.caller, func);
                    }
                    self.bind_params(func, Some(recv), &call.args);
                    self.result(file, scope, func, call.dst);
                }
                Obj::External(name) => {
                    if self.is_container(recv) {
                        self.container_method(recv, &name, &call);
                    }
                    if !call.implicit || call.ctor {
                        self.call_edge(call.caller, func);
                        self.library_calls.push((id, name.clone()));
                        self.call_target(&name, &call);
                        // What a library method returns is followed only where the
                        // knowledge base says (`submit` returns a `Future`): following every
                        // result's attributes would name chains without end.
                        if let Some(ty) = self.returns.get(&*name).cloned() {
                            let r = self.ext_instance(ty, call.caller.0, call.site);
                            self.add(call.dst, r);
                        }
                    }
                }
                _ => {}
            },
            Obj::Ref { .. } => {
                let referent = self.field(o, self.elem);
                self.edge(referent, call.dst, Filter::All);
            }
            Obj::Class(file, _) => {
                let _ = file;
                let (cfile, _) = (call.caller.0, ());
                self.instantiate(
                    o,
                    cfile,
                    call.site,
                    call.caller,
                    call.dst,
                    &call.args,
                    call.implicit,
                );
            }
            Obj::External(name) => {
                if call.implicit {
                    return;
                }
                self.call_edge(call.caller, o);
                self.library_calls.push((id, name.clone()));
                self.call_target(&name, &call);
                let short = name.strip_prefix("<builtin>.").unwrap_or("");
                let reduce = &*name == "functools.reduce";
                if CALLS_ITS_ARGUMENTS.contains(&short) || reduce {
                    // The builtin calls each function passed to it; its result holds what
                    // they return.
                    let result = self.obj(Obj::Container {
                        file: call.caller.0,
                        site: call.site,
                        kind: ContainerKind::List,
                    });
                    self.add(call.dst, result);
                    let elems = self.field(result, self.elem);
                    for a in call.args.iter() {
                        if let ArgNode::Pos(Some(n)) | ArgNode::Kw(_, n) = *a {
                            self.add_call(
                                n,
                                CallSite {
                                    caller: call.caller,
                                    dst: elems,
                                    args: Arc::from([]),
                                    site: call.site,
                                    implicit: true,
                                    ctor: false,
                                    deferred: false,
                                    origin: u32::MAX,
                                },
                            );
                        }
                    }
                    return;
                }
                // A library function whose result the knowledge base names
                // (`concurrent.interpreters.create()` returns an `Interpreter`,
                // `asyncio.get_running_loop()` a loop), as for a method.
                if let Some(ty) = self.returns.get(&*name).cloned() {
                    let r = self.ext_instance(ty, call.caller.0, call.site);
                    self.add(call.dst, r);
                    return;
                }
                // `weakref.ref(x)()` is `x` (or `None`, which the flow does not follow);
                // a `weakref.proxy(x)` is used as `x` is.
                let first = call.args.iter().find_map(|a| match *a {
                    ArgNode::Pos(Some(n)) => Some(n),
                    _ => None,
                });
                match &*name {
                    "weakref.ref" | "_weakref.ref" | "weakref.WeakMethod" => {
                        let r = self.obj(Obj::Ref {
                            file: call.caller.0,
                            site: call.site,
                        });
                        self.add(call.dst, r);
                        if let Some(x) = first {
                            let referent = self.field(r, self.elem);
                            self.edge(x, referent, Filter::All);
                        }
                        return;
                    }
                    "weakref.proxy" | "_weakref.proxy" => {
                        if let Some(x) = first {
                            self.edge(x, call.dst, Filter::All);
                        }
                        return;
                    }
                    _ => {}
                }
                // `set()`, `list(xs)`, `collections.deque()`, `weakref.WeakSet()`: a new
                // container, as a display is, holding the elements of an iterable argument.
                if let Some(&(_, kind)) = CONTAINER_TYPES.iter().find(|(n, _)| **n == *name) {
                    let made = self.obj(Obj::Container {
                        file: call.caller.0,
                        site: call.site,
                        kind,
                    });
                    self.add(call.dst, made);
                    let (elem, values) = self.elem_fields(made);
                    let into = if kind == ContainerKind::Dict {
                        values
                    } else {
                        elem
                    };
                    for a in call.args.iter() {
                        match *a {
                            ArgNode::Pos(Some(n)) | ArgNode::Star(n) => {
                                self.add_use(n, Use::ElemLoad { dst: into });
                            }
                            // `dict(a=x)`: a value under a known key.
                            ArgNode::Kw(_, n) if kind == ContainerKind::Dict => {
                                self.edge(n, values, Filter::All);
                            }
                            _ => {}
                        }
                    }
                    return;
                }
                // A library call makes an object the flow follows when it is a class the
                // knowledge base knows, or is named as a class is (`ext.Cls()`); what a
                // library function returns (`os.getcwd()`, `int(x)`) is not followed.
                let short = name.rsplit('.').next().unwrap_or("");
                if self.tracked.contains(&*name)
                    || short.starts_with(|c: char| c.is_ascii_uppercase())
                {
                    let r = self.ext_instance(name, call.caller.0, call.site);
                    self.add(call.dst, r);
                }
            }
            Obj::Instance { .. } => {
                // `obj()` runs `__call__`.
                if !self.call_expansions.insert((call.origin, o)) {
                    return;
                }
                let attr = self.name("__call__");
                let callee = self.new_node();
                self.lookup(o, attr, callee, call.caller);
                let mut c = call.clone();
                c.implicit = true;
                self.add_call(callee, c);
            }
            _ => {}
        }
    }

    /// A library call that will call one of its arguments with others of its arguments
    /// (`Thread(target=f, args=(q,))`, `atexit.register(f, q)`, `ex.submit(f, q)`): the
    /// target is called, here in the flow, with them, so `f`'s parameters hold `q`.
    fn call_target(&mut self, name: &str, call: &CallSite) {
        let Some(spec) = self.callbacks.get(name).cloned() else {
            return;
        };
        let Some((target_index, target)) = spec.target.find(&call.args) else {
            return;
        };
        let mut args = Vec::new();
        if let Some((_, tuple)) = spec.args.and_then(|at| at.find(&call.args)) {
            args.push(ArgNode::Star(tuple));
        }
        if let Some((_, dict)) = spec.kwargs.and_then(|at| at.find(&call.args)) {
            args.push(ArgNode::StarStar(dict));
        }
        if spec.rest {
            args.extend(call.args.iter().enumerate().filter_map(|(i, a)| match *a {
                ArgNode::Kw(n, _) if Some(n) == spec.target.keyword => None,
                ArgNode::Kw(..) | ArgNode::StarStar(_) => Some(*a),
                ArgNode::Pos(_) | ArgNode::Star(_) if i > target_index => Some(*a),
                _ => None,
            }));
        }
        self.add_call(
            target,
            CallSite {
                caller: call.caller,
                dst: self.discarded,
                args: args.into(),
                site: call.site,
                implicit: true,
                ctor: false,
                deferred: true,
                origin: u32::MAX,
            },
        );
    }

    /// A call of a project class: a new instance, and its `__init__` run on it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn instantiate(
        &mut self,
        class: ObjId,
        file: FileId,
        site: u32,
        caller: ScopeRef,
        dst: NodeId,
        args: &[ArgNode],
        _implicit: bool,
    ) {
        // Instances of a class that derives from a library class the knowledge base knows
        // (a `Thread` subclass) are told apart by the call that made them, so a join can be
        // matched to its thread; other classes have one instance each, as in PyCG: one per
        // call site would multiply the objects (`self` of a base class in a test suite
        // would hold every test's instance) for no rule's benefit.
        // (A library class may be in the project itself: the standard library's own
        // `threading.Thread` is a project class when the standard library is analysed.)
        let tracked = self.mro(class).iter().any(|&c| self.is_tracked_class(c));
        let (file, site) = if tracked {
            (file, site)
        } else {
            (FileId(u32::MAX), u32::MAX)
        };
        let inst = self.obj(Obj::Instance { class, file, site });
        self.add(dst, inst);
        let init = self.new_node();
        self.lookup(inst, self.init, init, caller);
        // Only a project `__init__` counts as a call made here.
        self.add_call(
            init,
            CallSite {
                caller,
                dst: self.discarded,
                args: Arc::from(args),
                site,
                implicit: true,
                ctor: true,
                deferred: false,
                origin: u32::MAX,
            },
        );
    }

    /// Whether class object `c` is a library class the knowledge base tracks (or the
    /// project's own definition of one, when the library itself is analysed).
    fn is_tracked_class(&mut self, c: ObjId) -> bool {
        if let Some(&tracked) = self.tracked_classes.get(&c) {
            return tracked;
        }
        let tracked = match self.object(c).clone() {
            Obj::External(name) => self.tracked.contains(&*name),
            Obj::Class(f, scope) => self.tracked.contains(self.scope_name(f, scope).as_str()),
            _ => false,
        };
        self.tracked_classes.insert(c, tracked);
        tracked
    }

    /// What a call of project function `func` gives `dst`.
    pub(super) fn result(&mut self, file: FileId, scope: ScopeId, func: ObjId, dst: NodeId) {
        if self.scope_info(file, scope).generator {
            let g = self.obj(Obj::Generator(func));
            self.add(dst, g);
            let r = self.ret((file, scope));
            let e = self.field(g, self.elem);
            self.edge(r, e, Filter::All);
        } else {
            let r = self.ret((file, scope));
            self.edge(r, dst, Filter::All);
        }
    }

    /// `list.append(x)` and friends: where the argument goes, or what comes out.
    pub(super) fn container_method(&mut self, recv: ObjId, name: &str, call: &CallSite) {
        let method = name.rsplit('.').next().unwrap_or("");
        let first = call.args.iter().find_map(|a| match a {
            ArgNode::Pos(Some(n)) => Some(*n),
            _ => None,
        });
        let second = call
            .args
            .iter()
            .filter_map(|a| match a {
                ArgNode::Pos(Some(n)) => Some(*n),
                _ => None,
            })
            .nth(1);
        let (elem, values) = self.elem_fields(recv);
        match method {
            "append" | "add" | "appendleft" | "put" | "put_nowait" => {
                if let Some(a) = first {
                    self.edge(a, elem, Filter::All);
                }
            }
            "insert" | "setdefault" => {
                if let Some(a) = second {
                    self.edge(a, elem, Filter::All);
                }
                if let (Some(k), "setdefault", true) = (first, method, self.has_keys(recv)) {
                    let keys = self.keys_field(recv);
                    self.edge(k, keys, Filter::All);
                }
                if method == "setdefault" {
                    self.edge(elem, call.dst, Filter::All);
                    self.edge(values, call.dst, Filter::All);
                }
            }
            "extend" | "update" => {
                if let Some(a) = first {
                    self.add_use(a, Use::ElemLoad { dst: elem });
                }
            }
            "items" => {
                let (items, _) = self.items_view(recv);
                self.add(call.dst, items);
            }
            "popitem" if self.has_keys(recv) => {
                let (_, pair) = self.items_view(recv);
                self.add(call.dst, pair);
            }
            "values" => {
                let view = self.values_view(recv);
                self.add(call.dst, view);
            }
            "pop" | "popleft" | "get" | "popitem" | "copy" | "keys" | "get_nowait" => {
                if matches!(method, "copy" | "keys") {
                    // A view or copy: iterating it gives the elements.
                    self.add(call.dst, recv);
                } else {
                    self.edge(elem, call.dst, Filter::All);
                    self.edge(values, call.dst, Filter::All);
                }
            }
            _ => {}
        }
    }

    /// Arguments into parameters (`recv` first, for a bound method).
    pub(super) fn bind_params(&mut self, func: ObjId, recv: Option<ObjId>, args: &[ArgNode]) {
        let Obj::Function(file, scope) = self.object(func).clone() else {
            return;
        };
        let params = self.scope_info(file, scope).params.clone();
        let node = |pt: &mut Self, name: u32| pt.local(file, scope, name);
        let positional: Vec<u32> = params
            .iter()
            .filter(|(_, k)| matches!(k, ParamKind::PositionalOnly | ParamKind::Positional))
            .map(|(n, _)| *n)
            .collect();
        let varargs = params
            .iter()
            .find(|(_, k)| *k == ParamKind::VarArgs)
            .map(|p| p.0);
        let varkw = params
            .iter()
            .find(|(_, k)| *k == ParamKind::VarKeywords)
            .map(|p| p.0);
        let mut index = 0usize;
        let mut star_seen = false;
        if let Some(recv) = recv {
            if let Some(&p) = positional.first() {
                let n = node(self, p);
                self.add(n, recv);
            }
            index = 1;
        }
        for a in args {
            match *a {
                ArgNode::Pos(v) => {
                    if let Some(v) = v {
                        if let Some(&p) = positional.get(index) {
                            let n = node(self, p);
                            self.edge(v, n, Filter::All);
                        } else if varargs.is_some() {
                            let packed = self.obj(Obj::VarArgs(func));
                            let e = self.field(packed, self.elem);
                            self.edge(v, e, Filter::All);
                        }
                    }
                    index += 1;
                }
                ArgNode::Kw(name, v) => {
                    if let Some(&(p, _)) = params.iter().find(|(n, k)| {
                        *n == name && matches!(k, ParamKind::Positional | ParamKind::KeywordOnly)
                    }) {
                        let n = node(self, p);
                        self.edge(v, n, Filter::All);
                    } else if varkw.is_some() {
                        let packed = self.obj(Obj::VarKeywords(func));
                        let f = self.field(packed, name);
                        let vals = self.field(packed, self.values);
                        self.edge(v, f, Filter::All);
                        self.edge(v, vals, Filter::All);
                    }
                }
                // The first `*xs` fills the next parameters in order (`xs[0]` the first of
                // them): an element at a known position goes to its parameter, one at an
                // unknown position (appended in a loop) to each.
                ArgNode::Star(v) if !star_seen => {
                    star_seen = true;
                    for (k, &p) in positional.iter().skip(index).enumerate() {
                        let n = node(self, p);
                        self.add_use(
                            v,
                            Use::IndexLoad {
                                dst: n,
                                index: k as u32,
                            },
                        );
                    }
                }
                ArgNode::Star(v) | ArgNode::StarStar(v) => {
                    // Unknown positions: every remaining parameter may get an element.
                    let elems = self.new_node();
                    self.add_use(v, Use::ElemLoad { dst: elems });
                    let targets: Vec<u32> = match a {
                        ArgNode::Star(_) => positional.iter().skip(index).copied().collect(),
                        _ => params
                            .iter()
                            .filter(|(_, k)| {
                                matches!(k, ParamKind::Positional | ParamKind::KeywordOnly)
                            })
                            .map(|p| p.0)
                            .collect(),
                    };
                    for p in targets {
                        let n = node(self, p);
                        self.edge(elems, n, Filter::All);
                    }
                }
            }
        }
    }
}
