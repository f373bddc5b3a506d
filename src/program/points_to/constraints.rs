//! The value-flow IR of each module turned into the solver's nodes, edges and uses.

use std::sync::Arc;

use rustc_hash::FxHashSet as HashSet;

use super::builtins::{free_vars, is_builtin};
use super::*;
use crate::diagnostic::FileId;
use crate::summary::flow::Binding;

impl PointsTo {
    /// Records a call (or `with` item) written at `site` of module `m`, for the rules'
    /// questions by source range.
    fn add_site(
        &mut self,
        m: &FlowModule<'_>,
        scope: ScopeId,
        site: u32,
        callee: NodeId,
        result: NodeId,
        direct: bool,
    ) {
        self.sites.push(SiteNodes {
            file: m.file,
            range: m.flow.sites[site as usize],
            scope,
            callee,
            result,
            direct,
        });
    }

    pub(super) fn add_module(&mut self, m: &FlowModule<'_>) {
        let file = m.file;
        // A file that did not parse (or a native source) has no flow at all.
        if m.flow.scopes.is_empty() {
            return;
        }
        // A free name the module does not bind (and no star import could) is a builtin.
        let module_obj = self.obj(Obj::Module(file));
        let has_star = m.flow.scopes[0]
            .ops
            .iter()
            .any(|op| matches!(op, Op::StarImport { .. }));
        let bound: HashSet<NameId> = m.flow.module_names.iter().copied().collect();
        self.module_loads.clear();
        self.module_results.clear();
        let mut seen_free: HashSet<NameId> = HashSet::default();
        for (scope_id, scope) in m.flow.scopes.iter().enumerate() {
            let scope_id = scope_id as ScopeId;
            let caller = self.caller_of(m, scope_id);
            for op in &scope.ops {
                for free in free_vars(op) {
                    if !has_star && !bound.contains(&free) && seen_free.insert(free) {
                        let text = m.flow.name(free);
                        if is_builtin(text) {
                            let builtin = self.external(format!("<builtin>.{text}").into(), 1);
                            let name = self.name(text);
                            let n = self.field(module_obj, name);
                            self.add(n, builtin);
                        }
                    }
                }
                self.add_op(m, caller, op);
            }
            if scope.kind == ScopeKind::Class {
                let class = self.obj(Obj::Class(file, scope_id));
                let bases: Vec<NodeId> = scope.bases.iter().map(|b| self.var(m, *b)).collect();
                for &b in &bases {
                    self.is_base[b as usize] = true;
                    self.base_of.entry(b).or_default().push(class);
                    if !self.pts[b as usize].is_empty() {
                        self.bases_grew(b);
                    }
                }
                self.bases.insert(class, bases);
            }
            if matches!(scope.kind, ScopeKind::Function | ScopeKind::Lambda) {
                let func = self.obj(Obj::Function(file, scope_id));
                // A method may run on an instance made anywhere, by code the project does
                // not contain (a library's users): its `self` holds the class's instance
                // whether or not the project calls the class, so that what one method stores
                // on `self` is what another reads.
                if let Some(parent) = scope.parent
                    && m.flow.scopes[parent as usize].kind == ScopeKind::Class
                    && let Some(first) = scope.params.first()
                    && matches!(
                        first.kind,
                        ParamKind::Positional | ParamKind::PositionalOnly
                    )
                {
                    let class = self.obj(Obj::Class(file, parent));
                    let receiver = match scope.binding {
                        Binding::Static => None,
                        Binding::ClassMethod => Some(class),
                        Binding::Method | Binding::Property => Some(self.obj(Obj::Instance {
                            class,
                            file: FileId(u32::MAX),
                            site: u32::MAX,
                        })),
                    };
                    if let Some(receiver) = receiver {
                        let n = self.var(
                            m,
                            Var::Local {
                                scope: scope_id,
                                name: first.name,
                            },
                        );
                        self.add(n, receiver);
                    }
                }
                for p in &scope.params {
                    let packed = match p.kind {
                        ParamKind::VarArgs => Some(Obj::VarArgs(func)),
                        ParamKind::VarKeywords => Some(Obj::VarKeywords(func)),
                        _ => None,
                    };
                    if let Some(packed) = packed {
                        let o = self.obj(packed);
                        let n = self.var(
                            m,
                            Var::Local {
                                scope: scope_id,
                                name: p.name,
                            },
                        );
                        self.add(n, o);
                    }
                }
            }
        }
    }

    /// The scope a call graph attributes a scope's calls to: class bodies run as part of the
    /// scope that defines the class.
    pub(super) fn caller_of(&self, m: &FlowModule<'_>, mut scope: ScopeId) -> ScopeRef {
        while m.flow.scopes[scope as usize].kind == ScopeKind::Class {
            scope = m.flow.scopes[scope as usize].parent.unwrap_or(0);
        }
        (m.file, scope)
    }

    pub(super) fn add_op(&mut self, m: &FlowModule<'_>, caller: ScopeRef, op: &Op) {
        let file = m.file;
        match op {
            Op::Copy { dst, src } => {
                let (d, s) = (self.var(m, *dst), self.var(m, *src));
                self.edge(s, d, Filter::All);
            }
            Op::Func { dst, scope } => {
                let d = self.var(m, *dst);
                let o = self.obj(Obj::Function(file, *scope));
                self.add(d, o);
            }
            Op::Class { dst, scope } => {
                let d = self.var(m, *dst);
                let o = self.obj(Obj::Class(file, *scope));
                self.add(d, o);
            }
            Op::Import { dst, module } => {
                let d = self.var(m, *dst);
                let name = m.flow.name(*module);
                let o = self.module_obj(name);
                self.add(d, o);
            }
            Op::ImportFrom { dst, module, name } => {
                let d = self.var(m, *dst);
                let (module, name) = (m.flow.name(*module), m.flow.name(*name));
                let sub = format!("{module}.{name}");
                if self.modules.contains_key(&sub) {
                    let o = self.module_obj(&sub);
                    self.add(d, o);
                } else if let Some(&f) = self.modules.get(module) {
                    let mo = self.obj(Obj::Module(f));
                    let attr = self.name(name);
                    let n = self.field(mo, attr);
                    self.edge(n, d, Filter::All);
                } else {
                    let o = self.external(sub.into(), 2);
                    self.add(d, o);
                }
            }
            Op::StarImport { module } => {
                let name = m.flow.name(*module);
                if let Some(&f) = self.modules.get(name) {
                    // Every name the other module binds at its top level.
                    let from = self.obj(Obj::Module(f));
                    let to = self.obj(Obj::Module(file));
                    let names: Vec<u32> = self.module_top_names(f);
                    for n in names {
                        let a = self.field(from, n);
                        let b = self.field(to, n);
                        self.edge(a, b, Filter::All);
                    }
                }
            }
            Op::Int { dst, value } => {
                let d = self.var(m, *dst);
                let o = self.obj(Obj::Int(*value));
                self.add(d, o);
            }
            Op::DynLoad { dst, base, index } => {
                let (d, b, i) = (self.var(m, *dst), self.var(m, *base), self.var(m, *index));
                self.dyn_loads.push((b, i, d));
                self.add_use(b, Use::DynLoad { dst: d, index: i });
                self.add_use(i, Use::DynIndex { dst: d, base: b });
            }
            Op::Slice { dst, base, start } => {
                let (d, b) = (self.var(m, *dst), self.var(m, *base));
                self.add_use(
                    b,
                    Use::Slice {
                        dst: d,
                        start: *start,
                    },
                );
            }
            Op::Str { dst, value } => {
                let d = self.var(m, *dst);
                let value = m.flow.name(*value);
                let value = self.distinct_strings.get(value).cloned();
                let o = self.obj(Obj::Str(value));
                self.add(d, o);
            }
            Op::Load { dst, base, attr } => {
                let (d, b) = (self.var(m, *dst), self.var(m, *base));
                let attr = self.flow_name(m, *attr);
                self.module_loads.insert(d, (attr, b));
                self.add_use(
                    b,
                    Use::Load {
                        dst: d,
                        attr,
                        caller,
                    },
                );
            }
            Op::Store { base, attr, src } => {
                let (b, s) = (self.var(m, *base), self.var(m, *src));
                let attr = self.flow_name(m, *attr);
                self.add_use(b, Use::Store { attr, src: s });
            }
            Op::ElemLoad { dst, base } => {
                let (d, b) = (self.var(m, *dst), self.var(m, *base));
                self.add_use(b, Use::ElemLoad { dst: d });
            }
            Op::ElemStore { base, src } => {
                let (b, s) = (self.var(m, *base), self.var(m, *src));
                self.add_use(b, Use::ElemStore { src: s });
            }
            Op::DictKey { base, key } => {
                let (b, k) = (self.var(m, *base), self.var(m, *key));
                self.add_use(b, Use::DictKey { src: k });
            }
            Op::IndexLoad { dst, base, index } => {
                let (d, b) = (self.var(m, *dst), self.var(m, *base));
                self.add_use(
                    b,
                    Use::IndexLoad {
                        dst: d,
                        index: *index,
                    },
                );
            }
            Op::KeyLoad { dst, base, key } => {
                let (d, b) = (self.var(m, *dst), self.var(m, *base));
                let key = self.flow_name(m, *key);
                self.add_use(b, Use::KeyLoad { dst: d, key });
            }
            Op::KeyStore { base, key, src } => {
                let (b, s) = (self.var(m, *base), self.var(m, *src));
                let key = self.flow_name(m, *key);
                self.add_use(b, Use::KeyStore { key, src: s });
            }
            Op::Container { dst, site, kind } => {
                let d = self.var(m, *dst);
                let o = self.obj(Obj::Container {
                    file,
                    site: *site,
                    kind: *kind,
                });
                self.add(d, o);
            }
            Op::Call {
                dst,
                callee,
                args,
                site,
                implicit,
            } => {
                let d = self.var(m, *dst);
                let c = self.var(m, *callee);
                if !*implicit {
                    self.add_site(m, caller.1, *site, c, d, false);
                    if let Some(&(attr, base)) = self.module_loads.get(&c) {
                        let made_by = self.module_results.get(&base).copied();
                        self.attr_calls.push((caller, c, attr, made_by));
                    }
                }
                let id = self.calls.len() as u32;
                self.module_results.insert(d, id);
                for a in args.iter() {
                    if let Arg::Pos(Some(v)) | Arg::Kw(_, v) = *a {
                        let n = self.var(m, v);
                        if let Some(&(attr, _)) = self.module_loads.get(&n) {
                            self.attr_args.push((id, n, attr));
                        }
                    }
                }
                let args = args
                    .iter()
                    .map(|a| match *a {
                        Arg::Pos(v) => ArgNode::Pos(v.map(|v| self.var(m, v))),
                        Arg::Star(v) => ArgNode::Star(self.var(m, v)),
                        Arg::Kw(n, v) => {
                            let n = self.flow_name(m, n);
                            ArgNode::Kw(n, self.var(m, v))
                        }
                        Arg::StarStar(v) => ArgNode::StarStar(self.var(m, v)),
                    })
                    .collect();
                self.add_call(
                    c,
                    CallSite {
                        caller,
                        dst: d,
                        args,
                        site: *site,
                        implicit: *implicit,
                        ctor: false,
                        deferred: false,
                        origin: u32::MAX,
                    },
                );
            }
            Op::Raise { src } => {
                let s = self.var(m, *src);
                self.add_use(
                    s,
                    Use::Raise {
                        caller,
                        file,
                        site: u32::MAX,
                    },
                );
            }
            Op::Enter { dst, mgr, site } => {
                let (d, s) = (self.var(m, *dst), self.var(m, *mgr));
                self.add_site(m, caller.1, *site, s, d, true);
                self.add_use(s, Use::Enter { dst: d, caller });
            }
            Op::Super {
                dst,
                class,
                recv,
                site: _,
            } => {
                let (d, r) = (self.var(m, *dst), self.var(m, *recv));
                let class = self.obj(Obj::Class(file, *class));
                self.add_use(r, Use::Super { dst: d, class });
            }
        }
    }

    pub(super) fn add_call(&mut self, callee: NodeId, mut call: CallSite) {
        let id = self.calls.len() as u32;
        if call.origin == u32::MAX {
            call.origin = id;
        }
        self.calls.push(call);
        self.add_use(callee, Use::Call(id));
    }

    /// The names module `file` binds at its top level (what `from it import *` copies).
    pub(super) fn module_top_names(&mut self, file: FileId) -> Vec<u32> {
        self.top_names.get(&file).cloned().unwrap_or_default()
    }

    /// A module by name: the project's, or an external name.
    pub(super) fn module_obj(&mut self, name: &str) -> ObjId {
        match self.modules.get(name) {
            Some(&f) => self.obj(Obj::Module(f)),
            None => self.external(name.into(), 4),
        }
    }

    /// A library name, and how many attribute reads may still extend it: an imported module
    /// is read as `os.path.join` or `concurrent.futures.ThreadPoolExecutor.submit`, a name
    /// imported from one as `Cls.method`, a builtin as `int.from_bytes`. Past that a read is
    /// of a value, not of an API (`int.real.imag`), and values met through a variable that
    /// holds many names would otherwise multiply the names without end.
    pub(super) fn external(&mut self, name: Arc<str>, reads: u8) -> ObjId {
        let o = self.obj(Obj::External(name));
        let budget = self.ext_reads.entry(o).or_insert(reads);
        *budget = (*budget).max(reads);
        o
    }
}
