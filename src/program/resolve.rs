//! Name resolution across modules: qualified names → project functions, classes and known APIs.

use crate::diagnostic::FileId;
use crate::knowledge::Api;
use crate::summary::{ClassIdx, FuncIdx, Instance, ModuleSummary, Value, last_dot};

use super::Program;

/// A function of the project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FnRef {
    pub file: FileId,
    pub func: FuncIdx,
}

/// What a qualified name denotes.
#[derive(Clone, Debug)]
pub enum Target<'p> {
    Module(FileId),
    Function(FnRef),
    Class(FileId, ClassIdx),
    Known(&'p Api),
    /// A module-level instance of another module, with a method name: `app.worker.start`.
    InstanceMethod(FileId, &'p Instance, String),
    Unknown,
}

/// A method found through a class and its bases.
#[derive(Clone, Debug)]
pub enum MethodTarget<'p> {
    Project(FnRef),
    Known(&'p Api),
    None,
}

const MAX_RESOLVE_DEPTH: usize = 16;

impl Program {
    pub fn summary(&self, file: FileId) -> &ModuleSummary {
        &self.files[file.0 as usize].summary
    }

    /// The project module named exactly `name`.
    pub fn module(&self, name: &str) -> Option<FileId> {
        self.by_module.get(name).copied()
    }

    pub fn resolve_qual(&self, q: &str) -> Target<'_> {
        self.resolve_qual_at(q, 0)
    }

    fn resolve_qual_at(&self, q: &str, depth: usize) -> Target<'_> {
        if depth > MAX_RESOLVE_DEPTH {
            return Target::Unknown;
        }
        if let Some(api) = self.knowledge.get(q) {
            return Target::Known(api);
        }
        // The longest prefix of `q` that is a project module.
        let mut end = q.len();
        let (file, rest) = loop {
            if let Some(file) = self.module(&q[..end]) {
                break (file, if end == q.len() { "" } else { &q[end + 1..] });
            }
            match last_dot(&q[..end]) {
                Some(i) => end = i,
                None => return Target::Unknown,
            }
        };
        if rest.is_empty() {
            return Target::Module(file);
        }
        let s = self.summary(file);
        if let Some(f) = s.function_by_qualname(rest) {
            return Target::Function(FnRef { file, func: f });
        }
        if let Some(c) = s.class_by_qualname(rest) {
            return Target::Class(file, c);
        }
        // `Class.method` inherited from a base.
        if let Some((class, method)) = last_dot(rest).map(|i| (&rest[..i], &rest[i + 1..]))
            && let Some(c) = s.class_by_qualname(class)
        {
            return match self.lookup_method(file, c, method) {
                MethodTarget::Project(f) => Target::Function(f),
                MethodTarget::Known(api) => Target::Known(api),
                MethodTarget::None => Target::Unknown,
            };
        }
        let (head, tail) = rest
            .split_once('.')
            .map_or((rest, None), |(h, t)| (h, Some(t)));
        match (s.exports.get(head), tail) {
            (Some(Value::Qual(q2)), None) => self.resolve_qual_at(q2, depth + 1),
            (Some(Value::Qual(q2)), Some(t)) => {
                self.resolve_qual_at(&format!("{q2}.{t}"), depth + 1)
            }
            (Some(Value::Local(f)), None) => Target::Function(FnRef { file, func: *f }),
            (Some(Value::Instance(inst)), Some(method)) if !method.contains('.') => {
                Target::InstanceMethod(file, inst, method.to_string())
            }
            _ => Target::Unknown,
        }
    }

    /// Finds `method` on class `class` of `file` or its bases, project classes first, then
    /// the knowledge base (`threading.Thread.start` for a `Thread` subclass).
    pub fn lookup_method(&self, file: FileId, class: ClassIdx, method: &str) -> MethodTarget<'_> {
        self.lookup_method_at(file, class, method, 0)
    }

    fn lookup_method_at(
        &self,
        file: FileId,
        class: ClassIdx,
        method: &str,
        depth: usize,
    ) -> MethodTarget<'_> {
        if depth > MAX_RESOLVE_DEPTH {
            return MethodTarget::None;
        }
        // `get`: a `self` value carried into another module's call may name a class index of
        // its own module; a miss is an unknown method, never a panic.
        let Some(c) = self.summary(file).classes.get(class as usize) else {
            return MethodTarget::None;
        };
        if let Some(&f) = c.methods.get(method) {
            return MethodTarget::Project(FnRef { file, func: f });
        }
        for base in &c.bases {
            match self.resolve_qual_at(base, depth + 1) {
                Target::Class(f2, c2) => match self.lookup_method_at(f2, c2, method, depth + 1) {
                    MethodTarget::None => {}
                    found => return found,
                },
                Target::Known(api) => {
                    if let Some(m) = self.knowledge.get_member(&api.name, method) {
                        return MethodTarget::Known(m);
                    }
                }
                _ => {}
            }
        }
        MethodTarget::None
    }

    /// The known class a project class derives from (`threading.Thread`), if any.
    pub fn known_base(&self, file: FileId, class: ClassIdx) -> Option<&Api> {
        self.known_base_at(file, class, 0)
    }

    fn known_base_at(&self, file: FileId, class: ClassIdx, depth: usize) -> Option<&Api> {
        if depth > MAX_RESOLVE_DEPTH {
            return None;
        }
        let c = self.summary(file).classes.get(class as usize)?;
        for base in &c.bases {
            match self.resolve_qual_at(base, depth + 1) {
                Target::Known(api) => return Some(api),
                Target::Class(f2, c2) => {
                    if let Some(api) = self.known_base_at(f2, c2, depth + 1) {
                        return Some(api);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The daemon flag a project class sets for itself, searching its bases too.
    pub fn class_daemon(&self, file: FileId, class: ClassIdx) -> Option<bool> {
        let mut current = Some((file, class));
        for _ in 0..MAX_RESOLVE_DEPTH {
            let (f, c) = current?;
            let summary = self.summary(f).classes.get(c as usize)?;
            if summary.daemon.is_some() {
                return summary.daemon;
            }
            current = summary
                .bases
                .iter()
                .find_map(|b| match self.resolve_qual(b) {
                    Target::Class(f2, c2) => Some((f2, c2)),
                    _ => None,
                });
        }
        None
    }

    /// The project functions a callable value runs when called (a function, a method, the
    /// inner callable of a partial).
    pub fn callable_targets(&self, file: FileId, value: &Value) -> Vec<FnRef> {
        self.callable_targets_at(file, value, 0)
    }

    fn callable_targets_at(&self, file: FileId, value: &Value, depth: usize) -> Vec<FnRef> {
        if depth > MAX_RESOLVE_DEPTH {
            return Vec::new();
        }
        match value {
            Value::Local(f) => vec![FnRef { file, func: *f }],
            Value::Qual(q) => match self.resolve_qual(q) {
                Target::Function(f) => vec![f],
                Target::InstanceMethod(f2, inst, m) => {
                    self.instance_method(f2, inst, &m).into_iter().collect()
                }
                _ => Vec::new(),
            },
            Value::Partial(inner) => self.callable_targets_at(file, inner, depth + 1),
            Value::BoundMethod { receiver, method } => self
                .instance_method(file, receiver, method)
                .into_iter()
                .collect(),
            Value::SelfAttr { class, path } if path.len() == 1 => {
                match self.lookup_method(file, *class, &path[0]) {
                    MethodTarget::Project(f) => vec![f],
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    fn instance_method(&self, _file: FileId, inst: &Instance, method: &str) -> Option<FnRef> {
        match self.resolve_qual(&inst.class) {
            Target::Class(f2, c2) => match self.lookup_method(f2, c2, method) {
                MethodTarget::Project(f) => Some(f),
                _ => None,
            },
            _ => None,
        }
    }
}
